"""The words the deterministic parser knows, in English, German and Chinese.

Each entry maps a word or phrase (lower case, words separated by spaces; Chinese
phrases are written without spaces) to a *tag*: the part it plays in a request.
Entries of the form ``word=value`` carry a value (a fraction, a unit, a number).
Asset names are not here: they come from ``configs/assets.txt``.

Tags (what the grammar in ``intent/grammar.py`` looks for):

    actions   BUY SELL SPEND DCA USE CONVERT CANCEL REBAL SHOW LIQ CLOSE PLACE
    amounts   NUMW (number word) MULT (thousand...) FRAC ALL PCT VAGUE CLS (classifier)
    money     CUR (a currency word: the default quote, or EUR)
    roles     MY OF WORTH HAVE POS IT TO INTO IN ON FOR WITH FROM AT EACH A
    prices    LIMIT MARKET PRICE
    triggers  COND DOWN UP REACH BELOW ABOVE SL TP TRAIL
    schedule  EVERY UNIT PERIODIC TIMES UNTIL DURING LANG (German "lang")
    queries   HOWMUCH Q BAL ORDERS BIDS ASKS OPEN
    rebalance REST EQUAL WEIGHT
    structure AND THEN
    refusals  GATE (always a request about confirmations or policy), GATEW (a weak
              gate word: only with a control word),
              R_WITHDRAW R_SEND R_DEPOSIT R_LEV R_MARGIN R_SHORT R_DERIV R_STAKE
              R_LEND R_VENUE R_CRED R_ADVICE
              (the control words that go with GATEW are in CONTROL_WORDS)
    other     FILLER (ignored), NEG

Standard library only: this module is imported on the ``signoff parse --jsonl`` path.
"""

from __future__ import annotations

# ruff: noqa: E501  (word lists read best one tag per line)

ENTRIES: dict[str, str] = {
    # ------------------------------------------------------------------ actions
    "BUY": """buy, buys, buying, bought, purchase, purchases, purchasing, acquire, get, get me,
        grab, grab me, pick up, scoop up, scoop, load up on, load up, accumulate, add, bid, bid for,
        ape into, snag, cop, lift, lift the offer on, lift the ask on, lift the offer for,
        kaufe, kaufen, kauf, kaufst, kauft, erwerbe, erwerben, hol, hole, holen, hol mir, besorge, nachkaufen, kaufe nach,
        买, 买入, 买进, 购买, 购入, 入手, 建仓, 补仓, 抄底买入, 加仓, 买点, 买一些""",
    "SELL": """sell, sells, selling, sold, dump, offload, unload, offer, trim, reduce, realize, realise,
        get rid of, take some off, cash in, ask, off the table, take off the table, hit the bid,
        take some chips off the table, lighten up on, lighten, cash out some,
        verkaufe, verkaufen, verkauf, verkaufst, verkauft, veräußere, veräußern, abstoßen, stoße, gib ab,
        卖, 卖出, 卖掉, 出售, 抛, 抛售, 抛出, 出货, 卖了, 减仓""",
    "ALLOC": "allocate, allot, earmark, widmen, 分配",
    "SPEND": """spend, spending, invest, investing, put, throw, deploy,
        investiere, investieren, stecke, stecken,
        投入, 投资, 花""",
    "DCA": """dca, dollar cost average, dollar-cost average, dollar cost averaging, dollar-cost averaging,
        sparplan, 定投""",
    "USE": "use, using up, verwende, nutze, benutze",
    "CONVERT": """convert, conversion, swap, exchange, trade, turn, switch, rotate, change, flip,
        tausche, tauschen, umtauschen, wechsle, wechseln, konvertiere, konvertieren, umwandeln, wandle,
        换, 兑换, 换成, 转换, 转成, 兑成""",
    "CANCEL": """cancel, cancels, canceling, cancelling, kill, pull, remove, delete, revoke, withdraw order,
        storniere, stornieren, storno, lösche, löschen, annulliere, annullieren, abbrechen, brich,
        撤销, 取消, 撤回, 撤掉, 撤单, 撤""",
    "REBAL": """rebalance, rebalancing, re-balance, reallocate, re-allocate, rebalance my portfolio,
        target allocation, allocation, split, split my portfolio, diversify,
        rebalanciere, rebalancieren, umschichten, schichte um, neu gewichten, gewichte,
        调仓, 再平衡, 重新平衡, 重新分配, 配置""",
    "SHOW": """show, show me, list, display, view, check, see, tell me, give me, print, fetch, look up,
        zeig, zeige, zeig mir, zeige mir, anzeigen, liste, auflisten,
        查看, 查询, 显示, 看看, 查, 看一下, 列出""",
    "LIQ": """liquidate, liquidating, cash out, cash out of, exit, get out of, close out, dump all,
        liquidiere, liquidieren, auflösen, löse auf,
        清仓, 全部卖出, 清空""",
    "CLOSE": "close, closing, schließe, schließen, 平仓, 关闭",
    "PLACE": """place, put in, set, set up, create, make, submit, enter, add a, setze, setzen,
        erstelle, erstellen, platziere, platzieren, lege, 设置, 设, 挂, 下单, 设个""",
    # ------------------------------------------------------------------ amounts
    "NUMW": """one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9, ten=10,
        eleven=11, twelve=12, thirteen=13, fourteen=14, fifteen=15, sixteen=16, seventeen=17,
        eighteen=18, nineteen=19, twenty=20, thirty=30, forty=40, fifty=50, sixty=60,
        seventy=70, eighty=80, ninety=90, a dozen=12, a couple of=2, a pair of=2,
        eins=1, zwei=2, drei=3, vier=4, fünf=5, sechs=6, sieben=7, acht=8, neun=9, zehn=10,
        elf=11, zwölf=12, zwanzig=20, dreißig=30, fünfzig=50,
        两=2""",
    "MULT": """万=10000, 千=1000, 亿=100000000, hundred=100, thousand=1000, grand=1000, million=1000000, millions=1000000,
        mil=1000000, mio=1000000, billion=1000000000, bn=1000000000,
        hundert=100, tausend=1000, millionen=1000000, million euro=1000000, mrd=1000000000, milliarde=1000000000""",
    "FRAC": """half=1/2, a half=1/2, one half=1/2, halb=1/2, halbe=1/2, halben=1/2, hälfte=1/2, die hälfte=1/2,
        a third=1/3, one third=1/3, third=1/3, a quarter=1/4, one quarter=1/4, quarter=1/4,
        two thirds=2/3, three quarters=3/4, a fifth=1/5, one fifth=1/5, a tenth=1/10, one tenth=1/10,
        ein drittel=1/3, drittel=1/3, ein viertel=1/4, viertel=1/4, zwei drittel=2/3,
        drei viertel=3/4, ein fünftel=1/5, ein zehntel=1/10,
        一半=1/2, 半=1/2, 一半的=1/2""",
    "ALL": """all, all of, everything, entire, whole, full, every last, the whole, the entire,
        all the, total, 100 percent,
        alle, alles, gesamte, gesamten, ganze, ganzen, komplett, komplette, sämtliche, vollständig,
        全部, 所有, 全部的, 所有的, 全仓, 全都""",
    "PCT": "%, percent, per cent, pct, prozent",
    "VAGUE": """some, a bit, a little, a few, a bunch, a bunch of, a lot, a lot of, lots of, more, a portion,
        a part, part of, several, a small amount, a little bit, a tiny bit, any, a good amount, a chunk,
        couple, a couple, bit of, little, plenty, much,
        etwas, ein bisschen, ein paar, einige, ein wenig, mehr, paar,
        一些, 一点, 一点点, 部分, 若干""",
    "CLS": "个, 枚, 颗, 单位, 块, stück",
    # ------------------------------------------------------------------ money
    "CUR": """$=DEFAULT, usd=DEFAULT, us dollars=DEFAULT, dollar=DEFAULT, dollars=DEFAULT, buck=DEFAULT,
        bucks=DEFAULT, us$=DEFAULT, cash=DEFAULT, money=DEFAULT, dollar's=DEFAULT,
        stablecoins=DEFAULT, stablecoin=DEFAULT, stables=DEFAULT, stable coins=DEFAULT, stablecoin=DEFAULT,
        stablecoins=DEFAULT, 稳定币=DEFAULT,
        美元=DEFAULT, 美金=DEFAULT, 刀=DEFAULT, u=DEFAULT,
        €=EUR, eur=EUR, euro=EUR, euros=EUR, 欧元=EUR""",
    # ------------------------------------------------------------------ roles
    "MY": "my, mine, our, meine, meiner, meines, meinen, mein, meinem, unsere, 我的, 我",
    "OF": "of, von, vom, des, der, 的",
    "WORTH": "worth, worth of, in value, value of, im wert von, wert, 价值, 等值",
    "HAVE": "i have, i own, i hold, i've got, do i have, do i own, do i hold, have, own, hold, habe, habe ich, besitze, halte, 有, 持有",
    "POS": """position, positions, stack, bag, bags, holding, stake in, exposure,
        bestand, bestände, position in, 仓位""",
    "IT": "it, that, them, this, those, es, das, sie, 它",
    "TO": "to, zu, 到, 至",
    "INTO": "into, in to, towards, 成",
    "IN": "in, 在",
    "ON": "on, onto, auf",
    "FOR": "for, für, gegen",
    "WITH": "with, using, via, mit, 用, 拿",
    "FROM": "from, out of, aus, 从",
    "AT": "at, @, bei, zum preis von, zu einem preis von, zum kurs von, 以",
    "EACH": """each, apiece, a piece, per coin, per unit, per token, a coin, per, je, pro stück, 每个""",
    "A": "a, an, ein, eine, einen, einem, einer, 一个",
    # ------------------------------------------------------------------ prices
    "LIMIT": """limit, limit order, limit price, a limit of, with a limit of, limitorder, limit-order,
        限价, 限价单""",
    "MARKET": """market, at market, at the market, market order, market price, at market price,
        at the market price, now, right now, immediately, asap, instantly, at the current price,
        at current price, zum marktpreis, marktpreis, sofort, jetzt, market-order, bestens, right away,
        市价, 市价单, 马上, 立即, 现在, 立刻""",
    "PRICE": """price, prices, rate, quote, trading at, going for, the price of, price of, cost, costs,
        how much is, how much are, how much does, what does, wie viel kostet, wieviel kostet,
        preis, kurs, kostet, kosten, steht, trading,
        价格, 价, 价位, 多少钱, 现价, 行情, 报价""",
    # ------------------------------------------------------------------ triggers
    "COND": """if, when, once, as soon as, whenever, in case, should, after, wenn, sobald, sofern,
        如果, 若, 当, 一旦, 要是, 假如, 假设""",
    "DOWN": """drops, drop, drop to, dropped, dips, dip, dipped, falls, fall, fell, sinks, sink, crashes, crash,
        tanks, tank, declines, decline, slides, slide, goes down, go down, gets down, comes down,
        drops down, falls back, is down, trades down, retraces,
        falls, fällt, fallen, sinkt, sinken, rutscht, crasht, abstürzt,
        跌, 跌到, 跌至, 跌破, 跌穿, 下跌到, 下跌至, 降到, 降至, 跌回, 回落到, 跌下""",
    "UP": """rises, rise, rose, climbs, climb, jumps, jump, pumps, pump, moons, rallies, rally, surges,
        surge, spikes, spike, goes up, go up, gets up, increases, increase, breaks out, is up,
        steigt, steigen, klettert, springt, 涨, 涨到, 涨至, 涨破, 上涨到, 上涨至, 升到, 升至,
        突破, 站上, 冲到, 冲破""",
    "MOVE": """goes, go, gets, moves, trades, is trading, stays, comes, climbs back, heads, is, are, sits,
        ist, steht, liegt, geht, notiert, 位于, 处于""",
    "BREAK": """breaks, break, broke, breaking, breaks through, break through, breaks past, bricht, durchbricht, bricht durch""",
    "CROSS": "crosses, cross, crossed, crossing, kreuzt, durchkreuzt",
    "REACH": """hits, hit, reaches, reach, touches, touch, gets to, get to, goes to, go to,
        trades at, is at, is trading at, comes to, lands at, erreicht, erreichen, 到达, 达到, 触及, 碰到""",
    "BELOW": """below, under, beneath, less than, lower than, <, <=, or lower, or less, or below,
        unter, unterhalb, weniger als, 低于, 以下, 之下""",
    "ABOVE": """above, over, beyond, past, more than, higher than, greater than, >, >=, or higher,
        or more, or above, exceeds, exceed, surpasses, tops,
        über, oberhalb, mehr als, 高于, 以上, 超过, 之上""",
    "SL": "stop loss, stop-loss, stoploss, stop, sl, stop out, stop-loss-order, 止损",
    "TP": "take profit, take-profit, takeprofit, tp, profit target, gewinnmitnahme, 止盈",
    "TRAIL": "trailing, trailing stop, trailing stop loss, 跟踪止损, 追踪止损",
    # ------------------------------------------------------------------ schedules
    "EVERY": "every, jeden, jede, jedes, 每, 每隔",
    "UNIT": """minute=m, minutes=m, min=m, mins=m, hour=h, hours=h, hr=h, hrs=h, day=d, days=d,
        week=w, weeks=w, wk=w, wks=w, month=mo, months=mo, year=y, years=y, minuten=m, stunde=h, stunden=h, tag=d, tage=d, tagen=d, woche=w, wochen=w,
        monat=mo, monate=mo, monaten=mo, jahr=y, jahre=y,
        分钟=m, 小时=h, 钟头=h, 天=d, 日=d, 周=w, 星期=w, 礼拜=w, 个月=mo, 月=mo, 年=y""",
    "PERIODIC": """daily=1d, hourly=1h, weekly=1w, nightly=1d, every day=1d, everyday=1d, each day=1d,
        every week=1w, each week=1w, every hour=1h, each hour=1h, every minute=1m,
        biweekly=2w, fortnightly=2w, every other day=2d, every other week=2w, every second day=2d,
        every second week=2w, once a day=1d, once a week=1w, twice a day=12h, twice daily=12h,
        three times a day=8h, once an hour=1h, monthly=mo, every month=mo, each month=mo,
        every morning=1d, every evening=1d, every night=1d, every monday=1w, every tuesday=1w,
        every wednesday=1w, every thursday=1w, every friday=1w, every saturday=1w, every sunday=1w,
        täglich=1d, stündlich=1h, wöchentlich=1w, jeden tag=1d, jede woche=1w, jede stunde=1h,
        jeden morgen=1d, jeden abend=1d, jeden montag=1w, jeden freitag=1w, zweimal täglich=12h,
        alle zwei tage=2d, alle zwei wochen=2w, monatlich=mo, jeden monat=mo,
        每天=1d, 每日=1d, 每周=1w, 每星期=1w, 每个星期=1w, 每小时=1h, 每个小时=1h, 每月=mo,
        每个月=mo, 每晚=1d, 每早=1d, 每分钟=1m""",
    "TIMES": "times, mal, 次, 回",
    "COUNTW": """twice=2, thrice=3, zweimal=2, dreimal=3, viermal=4, fünfmal=5, zehnmal=10, zwanzigmal=20,
        两次=2, 三次=3""",
    "UNTIL": """until stopped, until i stop, until i say stop, until cancelled, until canceled,
        until further notice, indefinitely, forever, ongoing, with no end, until i cancel,
        bis auf weiteres, unbegrenzt, 一直, 长期, 持续不断""",
    "DURING": "over the next, for the next, during, across, within, 持续, 连续, 共, 一共, 总共",
    "LANG": "lang",
    # "drops by 10%", "fällt um 5000": a relative move, which signoff does not take as a level
    "BY": "by, um, 了",
    # ------------------------------------------------------------------ queries
    "HOWMUCH": "how much, how many, wie viel, wieviel, wie viele, 多少, 几个",
    "Q": """what, what's, whats, what is, what are, how's, how is, where is, where's, which, any,
        was, wie, wo, welche, 什么, 是多少, 吗, 呢""",
    "BAL": """balance, balances, portfolio, holdings, funds, wallet, account, assets, net worth,
        account balance, kontostand, guthaben, depot, vermögen, konto,
        余额, 持仓, 资产, 账户, 钱包, 资金, 投资组合, 组合""",
    "ORDERS": """orders, order, open orders, pending orders, trades, order book entries, stops,
        aufträge, auftrag, 订单, 挂单, 委托, 委托单, 单子""",
    "BIDS": "bids, buy orders, buy order, kauforders, kaufaufträge, kauforder, 买单",
    "ASKS": "asks, offers, sell orders, sell order, verkaufsorders, verkaufsaufträge, verkaufsorder, 卖单",
    "OPEN": "open, pending, active, outstanding, working, resting, offenen, offene, 未成交的, 未成交, 当前",
    # ------------------------------------------------------------------ rebalance
    "REST": "rest, the rest, remainder, the remainder, remaining, leftover, rest in, den rest, 其余, 剩下, 剩余",
    "EQUAL": """equal, equally, evenly, even, equal weights, equal weight, equal parts, equal-weight,
        gleich, gleichmäßig, gleichgewichtet, 平均, 均分, 等权""",
    "WEIGHT": "weights, weighting, target, targets, mix, ratio, aufteilung, 比例, 权重",
    # ------------------------------------------------------------------ structure
    "AND": "and, plus, also, as well as, &, und, sowie, 和, 并, 并且, 同时, 以及, 跟, 与",
    "THEN": """then, and then, after that, afterwards, followed by, after which,
        dann, danach, anschließend, und dann, 然后, 之后, 接着, 再""",
    "NEG": """not, don't, dont, do not, no, never, without, doesn't, won't, wouldn't, shouldn't, can't, cannot,
        didn't, isn't, mustn't, avoid, instead of, rather than, in place of, under no circumstances,
        except, except for, apart from, other than, excluding, but not, unless, forget about, skip,
        hold off on, hold off, refrain from, no need to, not yet, not sure,
        nicht, kein, keine, keinen, keinem, keiner, keines, nie, niemals, ohne, statt, anstatt, anstelle von,
        außer, ausgenommen, es sei denn, verzichte auf, lass das,
        auf keinen fall, keinesfalls,
        不, 别, 不要, 无需, 不用, 没有, 不想, 勿, 甭, 不必, 千万别, 绝不, 决不, 从不, 不能, 不准, 禁止, 而不是, 而非, 除了, 除非, 先别, 暂时不要""",
    # ------------------------------------------------------------------ refusals
    "GATE": """confirm, confirms, confirmed, confirming, confirmation, confirmations, reconfirm,
        approve, approves, approved, approving, approval, approvals, approver, approvers,
        pre-approved, preapproved, pre-approve, policy, policies, compliance, guardrail, guardrails,
        safeguard, safeguards, 2fa, four-eyes, four eyes, kill switch, risk check, risk checks,
        risk limits, trading limits, position limits, order limits, second approver, sign-off,
        order limit, my limit, trading limit, daily limit, position limit, risk limit, max order,
        maximum order, spending limit, withdrawal limit,
        signoff, sign off, double check, double-check,
        bestätigung, bestätigungen, bestätigen, bestätige, freigabe, freigeben, genehmigung,
        genehmigen, richtlinie, richtlinien, compliance-regeln,
        确认, 审批, 批准, 风控, 合规, 审核, 二次确认, 授权""",
    "GATEW": """limits, checks, rules, restrictions, prompt, prompts, asking, ask me, asking me,
        warnings, questions, safety, limiten, regeln, prüfung, prüfungen, nachfrage, rückfrage,
        限额, 规则, 限制, 提示""",
    "R_WITHDRAW": "withdraw, withdrawal, withdrawals, withdrawing, payout, abheben, hebe, heb, auszahlen, auszahlung, zahle aus, 提现, 提币, 提款, 出金",
    "R_SEND": """send, sending, transfer, transfers, transferring, wire, pay, tip, give, gift, donate,
        send over, move, move to, bridge, sende, senden, schicke, schicken, überweise, überweisen,
        transferiere, 发送, 转账, 转给, 转到, 打给, 汇款, 转出, 给他, 给她""",
    "R_DEPOSIT": "deposit, deposits, top up, fund my account, einzahlen, einzahlung, 充值, 充币, 入金",
    "R_LEV": "leverage, leveraged, lever, hebel, 杠杆, 倍杠杆",
    "R_MARGIN": "margin, on margin, cross margin, isolated margin, marge, 保证金, 融资, 借贷",
    "R_SHORT": "short, shorting, shorts, short sell, short-sell, go short, leerverkauf, shorten, 做空, 空单, 卖空",
    "R_DERIV": """futures, perp, perps, perpetual, perpetuals, perpetual swap, option, options,
        call option, put option, calls, puts, a call, a put, derivative, derivatives, cfd, cfds,
        contract, contracts, long, long position, go long, a long, 10x long, expiry, expiring, strike,
        terminkontrakt, optionen, 期货, 合约, 期权, 永续, 做多, 开多""",
    "R_STAKE": "stake, staking, staked, restake, validator, delegate, unstake, staken, 质押, 挖矿, 锁仓",
    "R_LEND": """lend, lending, borrow, borrowing, loan, loans, earn, interest, savings, yield, farm, farming,
        liquidity, liquidity pool, provide liquidity, flash loan, leihen, leihe, leih, verleihen, kredit, zinsen,
        借, 借币, 借款, 贷款, 理财, 利息, 放贷""",
    "R_VENUE": """mainnet, main net, live trading, live account, real money, real account, real funds,
        production, testnet, binance, coinbase, kraken, bybit, okx, bitfinex, kucoin, gemini,
        bitstamp, huobi, htx, mexc, bitget, gate.io, uniswap exchange, dex, echtgeld, 实盘, 主网, 币安""",
    "R_CRED": """api key, api keys, apikey, api secret, secret key, password, passphrase, private key,
        seed phrase, seed, mnemonic, recovery phrase, credentials, login,
        passwort, schlüssel, 私钥, 助记词, 密码, 密钥""",
    "R_ADVICE": """should i, predict, prediction, forecast, recommend, recommendation, advice, advise,
        opinion, what do you think, will it, is it a good, analysis, analyse, analyze, signal, signals,
        tip me, moon soon, sollte ich, empfehlung, prognose, 预测, 建议, 推荐, 分析, 应该""",
    # ------------------------------------------------------------------ times
    # a start time or date: signoff has no delayed start, so it asks instead of ignoring it
    "WHEN": """tomorrow, tonight, later, later today, this evening, this afternoon, this morning,
        next week, next month, next monday, next friday, on monday, on tuesday, on wednesday,
        on thursday, on friday, on saturday, on sunday, at noon, at midnight, at the close,
        at the open, end of day, by friday, in an hour, in a few hours, in a week,
        morgen, übermorgen, heute abend, nächste woche, später, am montag, am freitag,
        明天, 后天, 今晚, 下周, 稍后, 晚上, 明早, 下午""",
    # ------------------------------------------------------------------ polarity
    # (intent/polarity.py) a retraction takes back what came before it; BUT and the
    # forward negations ("instead of") mark a contrast; HYPO and ASKQ make a trade a
    # question; POLITE makes a question a request ("can you buy ...?")
    "RETRACT": """scratch that, no wait, wait, actually, never mind, nevermind, forget that, forget it,
        forget about it, ignore that, strike that, disregard that, disregard, on second thought,
        on second thoughts, i mean, i meant, make that, make it, correction, oops, sorry, hold on,
        change of plan, change of plans, or rather, no no, nope, cancel that order, belay that,
        nein, nee, nein warte, warte, moment, vergiss das, vergiss es, vergiss, doch nicht, ich meine, ich meinte,
        korrektur, äh, ähm, quatsch, mach daraus, lieber doch,
        不对, 算了, 等等, 等一下, 等下, 我是说, 我的意思是, 改成, 改为, 更正, 说错了, 错了, 不是这个""",
    "BUT": """but, but rather, aber, sondern, 但是, 但, 而是, 可是""",
    "INSTEAD": """instead, rather, stattdessen, lieber, 改""",
    "HYPO": """what if, what if i, what happens if, what would happen if, what would, how much would,
        how many would, suppose, supposing, maybe, perhaps, possibly, vielleicht, eventuell, 也许, 或许, imagine, hypothetically, if i, if we, if i were to,
        if i had, would i, would it, in theory,
        was wäre wenn, was wäre, was wenn, was passiert wenn, angenommen, hypothetisch, wenn ich,
        falls ich, würde ich, stell dir vor,
        如果我, 假如我, 假设我, 要是我, 会怎样, 会怎么样, 会发生什么, 的话会""",
    "ASKQ": """shall i, should we, can i, could i, may i, am i able to, is it possible to, is it wise,
        is it smart, do i need to, did i, have i, why, why did, why not, is now a good time,
        soll ich, sollen wir, kann ich, darf ich, könnte ich, warum, wieso, lohnt es sich,
        要不要, 该不该, 是不是, 会不会, 为什么, 我能, 我可以, 值得, 好不好""",
    "POLITE": """please, pls, plz, kindly, can you, could you, would you, will you, can u, could u,
        kannst du, könntest du, würdest du, bitte,
        帮我, 请, 麻烦, 能不能, 可不可以, 你能, 你可以, 帮忙, 能否""",
    # ------------------------------------------------------------------ ignored
    "FILLER": """take, i, i'd, i'm, id, want, wanna, want to, would, like, would like,
        would like to, i'd like to, i want to, i need to, need, can, could, you, can you, could you,
        go ahead, go ahead and, just, quickly, real quick, me, for me please, let's, lets, let me,
        the, us, thanks, token, tokens, coin, coins, thank you, ok, okay, hey, hi, hello, now please, gonna, going to,
        try to, help me, help, do, does, did, is, are, am, be, will, shall, my friend, of the,
        am besten, bitte, ich, möchte, möchte gerne, will, würde, gern, gerne, du, kannst,
        kannst du, mir, den, dem, die, um, so, doch, noch, ist, sind, hat, hast, bin, auch, nur,
        aber, einfach, schnell, heute, zum, zur, im, am,
        right, here, there, about, up, out, real, quick, at once, today, tonight,
        amount, units, unit,
        请, 帮我, 给我, 我要, 我想, 想, 要, 把, 将, 就, 时, 时候, 的时候, 了, 吧, 啊, 一下, 现在的, 能, 可以, 帮忙, 那么, 则, 后, 以后""",
}

# Punctuation that plays a part ("$", "%", "@", "<", ">" and "&" are in ENTRIES).
PUNCTUATION: dict[str, str] = {
    ",": "COMMA",
    ";": "SEMI",
    ".": "END",
    "!": "END",
    "?": "QMARK",
    "/": "SLASH",
    ":": "COLON",
}

# German readings of words that mean something else in English ("falls": if / drops).
GERMAN_READINGS: dict[str, str] = {
    "falls": "COND",
    "er": "IT",  # "wenn er unter 60.000 fällt": the coin
    "ihn": "IT",
    "will": "FILLER",
    "also": "FILLER",
    "was": "FILLER",
    "an": "IN",
    "je": "EACH",
    "am": "FILLER",
}

# Words that are German and not English: one of them makes a request German, and with it
# the number convention (0,5 and 60.000). Ambiguous words (die, was, also, an, rest) are out.
GERMAN_WORDS = frozenset(
    """kaufe kaufen kauf kaufst kauft erwerbe erwerben hol hole holen besorge nachkaufen
    verkaufe verkaufen verkauf verkaufst verkauft veräußere veräußern abstoßen stoße investiere
    investieren stecke stecken sparplan verwende nutze benutze tausche tauschen umtauschen
    wechsle wechseln konvertiere konvertieren umwandeln wandle storniere stornieren storno lösche
    löschen annulliere annullieren abbrechen brich rebalanciere rebalancieren umschichten
    schichte gewichte zeig zeige anzeigen auflisten liquidiere liquidieren auflösen schließe
    schließen setze setzen erstelle erstellen platziere platzieren lege eins zwei drei vier fünf
    sechs sieben acht neun zehn elf zwölf zwanzig dreißig fünfzig hundert tausend millionen
    halbe halben hälfte drittel viertel fünftel zehntel alle alles gesamte gesamten ganze ganzen
    komplett komplette sämtliche vollständig prozent etwas bisschen paar einige wenig mehr stück
    meine meiner meines meinen mein meinem unsere von vom der wert habe besitze halte bestand
    bestände zu für gegen mit aus bei zum preis kurs kostet kosten steht wenn sobald sofern
    fällt fallen sinkt sinken rutscht crasht abstürzt steigt steigen klettert springt erreicht
    erreichen unter unterhalb weniger über oberhalb jeden jede jedes minuten stunde stunden tage
    tagen woche wochen monat monate monaten jahr jahre täglich stündlich wöchentlich monatlich
    mal zweimal dreimal viermal fünfmal zehnmal lang unbegrenzt wieviel viele wie wo welche
    kontostand guthaben depot vermögen konto aufträge auftrag kauforders kaufaufträge kauforder
    verkaufsorders verkaufsaufträge verkaufsorder offenen offene gleichmäßig gleichgewichtet
    aufteilung und sowie dann danach anschließend nicht kein keine ohne bestätigung
    bestätigungen bestätigen bestätige freigabe freigeben genehmigung genehmigen richtlinie
    richtlinien regeln prüfung nachfrage rückfrage überspringe überspringen deaktiviere
    deaktivieren ausschalten ignoriere ignorieren umgehe umgehen erhöhe erhöhen ändere ändern
    automatisch abheben hebe auszahlen auszahlung sende senden schicke schicken überweise
    überweisen transferiere einzahlen einzahlung hebel leerverkauf shorten staken leihen leihe
    verleihen kredit zinsen echtgeld passwort schlüssel sollte empfehlung prognose bitte ich
    möchte gerne würde gern kannst mir dem doch noch ist sind hast auch nur aber einfach schnell
    heute zur morgen übermorgen später nächste einen eine einem einer ein sofort jetzt bestens
    marktpreis limit-order euro hoch sondern stattdessen vergiss warte niemals keinen keinem keines
    statt anstatt soll darf warum wieso hypothetisch angenommen korrektur""".split()
)

# Words that, near a weak gate word (GATEW: limits, checks, rules, asking ...), make a
# request about the gates themselves: "skip the checks", "don't ask me", "raise my limits".
# They keep their ordinary tags; the refusal check reads them from the word sequence.
CONTROL_WORDS = """skip, skipping, bypass, disable, disabled, turn off, switch off, deactivate, remove,
        ignore, ignoring, override, circumvent, avoid, stop asking, raise, increase, lift, lower,
        reduce, change, modify, edit, update, relax, loosen, auto, automatically, auto-approve,
        yourself, on my behalf, already, in advance, don't need, no need, no need to,
        not, don't, dont, do not, no, never, without, stop, nicht, kein, keine, ohne, 不, 别, 不要, 无需, 不用,
        überspringe, überspringen, deaktiviere, deaktivieren, ausschalten, schalte aus, ignoriere,
        ignorieren, umgehe, umgehen, erhöhe, erhöhen, ändere, ändern, automatisch,
        跳过, 关闭, 绕过, 忽略, 取消掉, 提高, 修改, 更改, 自动"""

# Chinese fraction and percent patterns, and numerals, handled by the tokenizer.
CJK_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CJK_UNITS = {"十": 10, "百": 100, "千": 1000}
CJK_BIG = {"万": 10_000, "亿": 100_000_000}

# Words that look like tickers of real coins but are ordinary words; such tickers are
# recognised only when written in capitals in a text that is not all capitals.
COMMON_WORDS = frozenset(
    [
        "a",
        "ace",
        "act",
        "ai",
        "alpha",
        "ankr",
        "ant",
        "any",
        "ape",
        "apt",
        "ar",
        "arb",
        "atom",
        "auto",
        "bad",
        "band",
        "bar",
        "bat",
        "bel",
        "beta",
        "blur",
        "bond",
        "c",
        "cake",
        "cat",
        "celo",
        "comp",
        "core",
        "cow",
        "cyber",
        "dash",
        "data",
        "dent",
        "dia",
        "dog",
        "edu",
        "ego",
        "ens",
        "ern",
        "etc",
        "fet",
        "fida",
        "fil",
        "fire",
        "flow",
        "for",
        "front",
        "fun",
        "gala",
        "gas",
        "gal",
        "gift",
        "glm",
        "gmt",
        "gold",
        "hard",
        "high",
        "hook",
        "hot",
        "icp",
        "id",
        "ilv",
        "io",
        "key",
        "kind",
        "lit",
        "loom",
        "magic",
        "mana",
        "mask",
        "me",
        "mina",
        "move",
        "near",
        "neo",
        "not",
        "now",
        "ok",
        "om",
        "one",
        "op",
        "orn",
        "pay",
        "people",
        "pond",
        "pros",
        "pyr",
        "qi",
        "quick",
        "rad",
        "rare",
        "ray",
        "ren",
        "req",
        "rose",
        "rune",
        "s",
        "safe",
        "sand",
        "sc",
        "size",
        "snt",
        "solo",
        "stg",
        "storj",
        "strax",
        "sui",
        "sun",
        "super",
        "sushi",
        "sys",
        "t",
        "tao",
        "the",
        "theta",
        "time",
        "ton",
        "trb",
        "tru",
        "troy",
        "trump",
        "ult",
        "uma",
        "uni",
        "us",
        "vet",
        "via",
        "voxel",
        "wan",
        "win",
        "wing",
        "woo",
        "x",
        "yes",
        "you",
        "zen",
    ]
)
