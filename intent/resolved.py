"""Concrete steps: an intent plan resolved against an account and a market.

These are what the policy decides on, what an approval is bound to, and what an
executor carries out. Quantities are in base units, already rounded (down) to
the market's step; prices to its tick.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from intent.plan import (
    Asset,
    Frozen,
    OrderType,
    PositiveDecimal,
    QueryWhat,
    Schedule,
    Side,
    Trigger,
)


class ResolvedOrder(Frozen):
    """One order, ready for the policy: exact quantity, estimated notional."""

    kind: Literal["order"] = "order"
    step_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,16}$")
    source_index: int = Field(ge=0, description="index of the intent step it came from")
    symbol: str
    base: Asset
    quote: Asset
    side: Side
    order_type: OrderType
    quantity: PositiveDecimal
    limit_price: PositiveDecimal | None = None
    reference_price: PositiveDecimal = Field(description="the quote the estimate used")
    notional: PositiveDecimal = Field(description="estimated value in the quote currency")
    reporting_currency: Asset = "USDT"
    notional_reporting: PositiveDecimal = Field(
        description="estimated value in the account's reporting currency"
    )
    trigger: Trigger | None = None
    schedule: Schedule | None = None
    quote_amount: PositiveDecimal | None = Field(
        default=None,
        description="a recurring market order of a quote amount ('buy 20 USDT of BTC every "
        "day'): each run spends this much at its own price; quantity is the first run's",
    )
    note: str | None = Field(default=None, description="e.g. 'convert leg 1 of 2'")

    @model_validator(mode="after")
    def _limit_has_price(self) -> Self:
        if (self.order_type == "limit") != (self.limit_price is not None):
            raise ValueError("a limit order has a limit price and a market order none")
        return self

    @property
    def price_for_estimate(self) -> Decimal:
        return self.limit_price if self.limit_price is not None else self.reference_price


class ResolvedCancel(Frozen):
    """Cancel the matching open orders."""

    kind: Literal["cancel"] = "cancel"
    step_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,16}$")
    source_index: int = Field(ge=0)
    base: Asset | None = None
    side: Side | None = None
    order_ids: tuple[str, ...] = ()


class ResolvedQuery(Frozen):
    """A question about the account or the market; never trades."""

    kind: Literal["query"] = "query"
    step_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,16}$")
    source_index: int = Field(ge=0)
    what: QueryWhat
    base: Asset | None = None


class Unresolved(Frozen):
    """A step that cannot become an order; the other steps still resolve."""

    kind: Literal["unresolved"] = "unresolved"
    step_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,16}$")
    source_index: int = Field(ge=0)
    code: str = Field(description="NO_MARKET, NOTHING_TO_SELL, BELOW_MIN_NOTIONAL, ...")
    reason: str


ResolvedStep = Annotated[
    ResolvedOrder | ResolvedCancel | ResolvedQuery | Unresolved,
    Field(discriminator="kind"),
]
