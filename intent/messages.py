# ruff: noqa: E501  (the texts of each language read best one per line)
"""Questions and refusals in the language of the request (English, German, Chinese).

The grammar words its questions in English, precisely ("How much ETH do you want to
sell?"). A German or Chinese request gets the question for what is missing, and the
refusal for its category, in its own language; "did you mean" keeps its suggestion.
Standard library only.
"""

from __future__ import annotations

QUESTIONS: dict[str, dict[str, str]] = {
    "de": {
        "text": 'Was möchtest du tun? Zum Beispiel: "kaufe 0,1 BTC".',
        "action": "Was genau soll ich tun: kaufen, verkaufen, tauschen, stornieren oder einen "
        "Kurs bzw. Kontostand zeigen?",
        "amount": "Wie viel genau? Nenne eine Menge (0,1 BTC, 500 USDT) oder einen Anteil "
        "(25 %, die Hälfte).",
        "asset": "Welches Asset meinst du? Nenne sein Kürzel (zum Beispiel BTC).",
        "side": "Kaufen oder verkaufen?",
        "price": 'Zu welchem Preis? Nenne ein Limit ("zu 60.000") oder eine Bedingung '
        '("wenn BTC unter 60.000 fällt").',
        "trigger": "Bei welchem Kurs soll der Auftrag auslösen, und beim Steigen darüber oder "
        "beim Fallen darunter?",
        "interval": "Wie oft? Nenne ein Intervall in Minuten, Stunden, Tagen oder Wochen "
        "(jeden Tag, alle 15 Minuten).",
        "count": "Wie oft insgesamt? Nenne eine ganze Zahl oder eine Dauer in Tagen oder Wochen.",
        "quote": "Gegen welche Währung soll gehandelt werden?",
        "number": "Welche Zahl meinst du? Schreibe sie mit Punkt für Tausender (60.000) oder "
        "ohne Trennzeichen (60000).",
    },
    "zh": {
        "text": "您想做什么？例如：“买入0.1个BTC”。",
        "action": "您想做什么：买入、卖出、兑换、撤单，还是查看价格或余额？",
        "amount": "具体多少？请给出数量（0.1个BTC、500 USDT）或比例（25%、一半）。",
        "asset": "您指的是哪个资产？请给出代码（例如BTC）。",
        "side": "买入还是卖出？",
        "price": "什么价格？请给出限价（“以60000的价格”）或条件（“如果BTC跌破60000”）。",
        "trigger": "订单在什么价格触发，是涨破还是跌破？",
        "interval": "多久一次？请给出以分钟、小时、天或周为单位的间隔（每天、每15分钟）。",
        "count": "一共几次？请给出整数次数，或以天、周为单位的持续时间。",
        "quote": "用哪种货币交易？",
        "number": "您指的是哪个数字？请不用分隔符书写（60000）或用逗号分隔千位（60,000）。",
    },
}

UNKNOWN_ASSET = {
    "de": (
        "Das Asset {name} kenne ich nicht. Meintest du {guess}?",
        "Das Asset {name} kenne ich nicht. Nenne sein Kürzel oder trage es in assets.txt ein.",
    ),
    "zh": (
        "我不认识资产{name}。您是指{guess}吗？",
        "我不认识资产{name}。请使用它的代码，或把它加入assets.txt。",
    ),
}

REASONS: dict[str, dict[str, str]] = {
    "de": {
        "withdrawal": "signoff kann keine Guthaben abheben; es handelt nur am Spotmarkt und liest das Konto.",
        "transfer": "signoff sendet oder überweist keine Guthaben an Personen oder Adressen; es handelt nur am Spotmarkt.",
        "deposit": "signoff nimmt keine Einzahlungen entgegen; zahle direkt beim Handelsplatz ein.",
        "leverage": "Handel mit Hebel wird nicht unterstützt: signoff handelt nur am Spotmarkt.",
        "margin": "Margin-Handel wird nicht unterstützt: signoff handelt nur am Spotmarkt.",
        "short": "Leerverkäufe werden nicht unterstützt: signoff verkauft nur, was das Konto hält.",
        "derivatives": "Futures, Optionen und andere Derivate werden nicht unterstützt: signoff handelt nur am Spotmarkt.",
        "staking": "Staking wird nicht unterstützt: signoff handelt nur am Spotmarkt.",
        "lending": "Verleihen, Leihen und Zinsprodukte werden nicht unterstützt: signoff handelt nur am Spotmarkt.",
        "policy": "Anfragen zu Bestätigungen, Freigaben, Limits oder Richtlinien werden abgelehnt: die Richtlinie gehört der Compliance. Bitte nenne nur den Auftrag.",
        "venue": "Handelsplatz und Konto kommen aus der Konfiguration von signoff, nie aus einer Anfrage.",
        "credentials": "signoff nimmt nie Schlüssel, Passwörter oder Geheimnisse in einer Anfrage an; Zugangsdaten gehören in die Konfiguration des Executors.",
        "off_topic": "signoff handelt am Spotmarkt und beantwortet Fragen zu Konto und Kursen; diese Anfrage betrifft etwas anderes.",
    },
    "zh": {
        "withdrawal": "signoff 不能提现；它只做现货交易并读取账户。",
        "transfer": "signoff 不会向任何人或地址发送或转账；它只做现货交易。",
        "deposit": "signoff 不处理充值；请直接在交易所充值。",
        "leverage": "不支持杠杆交易：signoff 只做现货交易。",
        "margin": "不支持保证金交易：signoff 只做现货交易。",
        "short": "不支持做空：signoff 只能卖出账户持有的资产。",
        "derivatives": "不支持期货、期权等衍生品：signoff 只做现货交易。",
        "staking": "不支持质押：signoff 只做现货交易。",
        "lending": "不支持借贷和理财产品：signoff 只做现货交易。",
        "policy": "关于确认、审批、限额或策略的请求会被拒绝：策略由合规部门管理。请只说出交易本身。",
        "venue": "交易所和账户来自 signoff 的配置，而不是请求。",
        "credentials": "signoff 从不在请求中接收密钥、密码或机密；凭据应放在执行器的配置中。",
        "off_topic": "signoff 处理现货交易以及账户和价格的查询；这个请求涉及其他内容。",
    },
}


def question(text: str, missing: tuple[str, ...] | list[str], lang: str) -> str:
    """The question ``text`` (English) for a request in ``lang``."""
    table = QUESTIONS.get(lang)
    if table is None:
        return text
    prefix = "I don't know the asset "
    if text.startswith(prefix):
        name, _, rest = text[len(prefix) :].partition(". ")
        known, unknown = UNKNOWN_ASSET[lang]
        marker = "Did you mean "
        if rest.startswith(marker):
            return known.format(name=name, guess=rest[len(marker) :].rstrip("?"))
        return unknown.format(name=name)
    for key in missing:
        if key in table:
            return table[key]
    return table["action"]


def reason(category: str, text: str, lang: str) -> str:
    """The refusal ``text`` (English) for a request in ``lang``."""
    return REASONS.get(lang, {}).get(category, text)
