"""The done-script's billing flow through Debian's python3-stripe, against the emulator's account default.

python3-stripe 5.0.0 pins no API version: without a Stripe-Version header every request (and every
event) is in the account's default version (docs/stripe-behaviour.md SB-V1, SB-V2). Run as
`python3 subscription_flow.py <emulator url>`; prints one JSON line of what it saw, exits non-zero
on the first expectation that fails.
"""

import calendar
import datetime
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import stripe

DAY = 86_400
HOUR = 3_600
START = 1_767_225_600  # 2026-01-01T00:00:00Z
SETTLED = HOUR + 60  # past the hour a renewal stays draft (SB-32)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def add_month(at):
    """The same day and time a month later, in UTC (the flow's dates are all early in the month)."""
    day = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return calendar.timegm(day.replace(year=year, month=month).timetuple())


class Receiver(BaseHTTPRequestHandler):
    """A webhook handler as a user writes it: every request verified with the endpoint's secret."""

    secret = ""
    events = []
    rejected = []

    def do_POST(self):
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = stripe.Webhook.construct_event(payload, self.headers["Stripe-Signature"], Receiver.secret)
        except Exception as error:  # a signature or payload the SDK refuses
            Receiver.rejected.append(str(error))
            self.send_response(400)
            self.end_headers()
            return
        Receiver.events.append(event)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"received":true}')

    def log_message(self, *args):
        pass


def advance(clock, to):
    stripe.test_helpers.TestClock.advance(clock, frozen_time=to)
    for _ in range(500):
        current = stripe.test_helpers.TestClock.retrieve(clock)
        if current.status != "advancing":
            expect(current.status == "ready" and current.frozen_time == to, f"clock ready at {to}: {current}")
            return
        time.sleep(0.005)
    raise AssertionError("the clock never became ready")


def main(url):
    stripe.api_key = "sk_test_python_stripe"
    stripe.api_base = url
    stripe.max_network_retries = 0

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = stripe.WebhookEndpoint.create(
        url=f"http://127.0.0.1:{server.server_port}/webhook",
        enabled_events=["customer.subscription.updated", "customer.subscription.deleted", "invoice.paid"],
    )
    Receiver.secret = endpoint.secret

    basic = stripe.Price.create(currency="usd", unit_amount=1000, recurring={"interval": "month"}, product_data={"name": "Basic"})
    pro = stripe.Price.create(currency="usd", unit_amount=2000, recurring={"interval": "month"}, product_data={"name": "Pro"})
    forever = stripe.Coupon.create(percent_off=20, duration="forever")
    clock = stripe.test_helpers.TestClock.create(frozen_time=START, name="python3-stripe")
    customer = stripe.Customer.create(
        test_clock=clock.id, payment_method="pm_card_visa", invoice_settings={"default_payment_method": "pm_card_visa"}
    )

    # A 14-day trial with a forever coupon, in the account's (newest) shape: `discounts`, item periods.
    trial_end = START + 14 * DAY
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic.id}], trial_period_days=14, discounts=[{"coupon": forever.id}]
    )
    expect(sub.status == "trialing" and sub.trial_end == trial_end, f"trialing until {trial_end}")
    expect(sub["items"]["data"][0]["current_period_end"] == trial_end, "the period is on the item")
    expect("current_period_end" not in sub, "no subscription-level period in the account's version")

    advance(clock.id, trial_end + SETTLED)
    sub = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    first = sub.latest_invoice
    expect(sub.status == "active", "converted at trial end")
    expect(first.status == "paid" and first.amount_paid == 800, f"20% off the first paid invoice: {first.amount_paid}")
    expect(first.parent.subscription_details.subscription == sub.id, "the invoice names its subscription under parent")

    # A mid-cycle upgrade with the default prorations.
    period_end = add_month(trial_end)
    advance(clock.id, trial_end + 10 * DAY)
    item = sub["items"]["data"][0]
    upgraded = stripe.Subscription.modify(sub.id, items=[{"id": item.id, "price": pro.id}])
    expect(upgraded.latest_invoice == first.id, "nothing billed at the upgrade")
    pending = stripe.InvoiceItem.list(customer=customer.id, pending=True).data
    expect(sorted(p.proration for p in pending) == [True, True], "two proration items pending")

    # The next invoice, paid: the prorations and the new price.
    advance(clock.id, period_end + SETTLED)
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    expect(renewal.status == "paid" and renewal.amount_paid == renewal.total, "the renewal is paid")
    expect(len(renewal.lines.data) == 3, "two prorations and the new price")

    # Cancelled at period end.
    next_end = add_month(period_end)
    scheduled = stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    expect(scheduled.status == "active" and scheduled.cancel_at == next_end, "active until the period ends")
    advance(clock.id, next_end + SETTLED)
    ended = stripe.Subscription.retrieve(sub.id)
    expect(ended.status == "canceled" and ended.ended_at == next_end, "canceled at the period end")

    deadline = time.time() + 10
    while time.time() < deadline and not any(e.type == "customer.subscription.deleted" for e in Receiver.events):
        time.sleep(0.01)
    server.shutdown()
    expect(not Receiver.rejected, f"every delivery verified: {Receiver.rejected}")
    print(
        json.dumps(
            {
                "stripe": stripe.version.VERSION,
                "subscription": sub.id,
                "status": ended.status,
                "amounts_paid": [first.amount_paid, renewal.amount_paid],
                "event_types": sorted({e.type for e in Receiver.events}),
                "event_api_versions": sorted({e.api_version for e in Receiver.events}),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
