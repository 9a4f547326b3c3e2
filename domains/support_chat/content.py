"""Support-chat content: businesses, intents, customer phrasings, agent replies, slot pools.

Pure data, no logic. Customer templates are split by index into train and eval (see generator.py), so
eval messages are phrasings the model never saw in training. Agent replies are one canonical, correct
and actionable text per (intent, business) so a reply metric (ROUGE-L, action keywords) can reward the
right steps. In replies, `[A|B]` renders A when every slot in A is known from the message, else B.
"""

from __future__ import annotations

BUSINESSES: dict[str, dict[str, str]] = {
    "banking": {
        "business": "Northwind Bank",
        "app": "the Northwind app",
        "site": "northwindbank.com",
        "phone": "0800 555 0101",
        "hours": "open 24/7",
        "profile_path": "Profile > Personal details",
        "billing_place": "the transactions list in the Northwind app",
        "address_note": "We may ask for a photo of a recent utility bill as proof of address.",
        "sub": "premium account",
        "account_word": "account",
    },
    "telecom": {
        "business": "Skyline Mobile",
        "app": "the My Skyline app",
        "site": "skylinemobile.com",
        "phone": "0800 555 0202",
        "hours": "8am to 8pm every day",
        "profile_path": "Account > My details",
        "billing_place": "your latest bill under Billing in the My Skyline app",
        "address_note": "Your next bill and any new SIM card will go to the new address.",
        "sub": "contract",
        "account_word": "mobile account",
    },
    "ecommerce": {
        "business": "Cartwheel",
        "app": "the Cartwheel app",
        "site": "cartwheel.com",
        "phone": "0800 555 0303",
        "hours": "9am to 6pm on weekdays",
        "profile_path": "Account > Addresses",
        "billing_place": "Your Orders > Payments on cartwheel.com",
        "address_note": "Orders that have already shipped still go to the old address, so check Your Orders.",
        "sub": "Cartwheel Plus membership",
        "account_word": "Cartwheel account",
    },
    "streaming": {
        "business": "Lumen TV",
        "app": "the Lumen app",
        "site": "lumen.tv",
        "phone": "0800 555 0404",
        "hours": "10am to 10pm every day",
        "profile_path": "Account > Profile",
        "billing_place": "Account > Billing history on lumen.tv",
        "address_note": "If you moved to another country, your plan price may change at the next renewal.",
        "sub": "subscription",
        "account_word": "Lumen account",
    },
}

ALL = tuple(BUSINESSES)

# Each intent: businesses it occurs in, customer templates (>= 12: every 4th is held out for eval),
# empathy openers, the action (str, or per-business dict), action keywords, and follow-up (q, a) pairs.
INTENTS: list[dict] = [
    # ---------------------------------------------------------------- banking
    {
        "label": "card_lost",
        "title": "lost or stolen card",
        "businesses": ("banking",),
        "templates": (
            "I lost my card and I can't find it anywhere.",
            "My debit card was stolen from my bag this morning.",
            "I think I left my card at a restaurant last night, what should I do?",
            "someone stole my wallet with my bank card in it",
            "My card ending in {last4} is missing.",
            "I dropped my card somewhere on {date}, can you block it?",
            "Help, my purse was taken on the train and my card was in it.",
            "I can't find my credit card, I think it's lost for good.",
            "Please block my card, it's been stolen.",
            "My card is gone and I'm worried someone will use it.",
            "I misplaced my card ending {last4} and need to stop it.",
            "Lost my bank card while travelling, how do I freeze it?",
            "my card got pickpocketed at the market",
            "What do I do if my card was stolen?",
            "I have lost my debit card, please help me cancel it.",
            "Card lost on my way home, I need a new one asap.",
        ),
        "empathy": ("I'm sorry to hear your card is missing, let's secure it right away.",
                    "That sounds stressful, but we can protect your money quickly."),
        "action": ("Please freeze [the card ending {last4}|the card] now in {app} under Cards > Freeze card, then "
                   "tap Replace card to order a free replacement that arrives in 3 to 5 working days. If you see "
                   "any payment you don't recognise, tell us and we'll refund it."),
        "keywords": ("freeze", "replace"),
        "followups": (
            ("Will my new card have the same number?",
             "No, the replacement has a new card number and PIN for your safety; your account details stay "
             "the same."),
            ("What if I find the card later?",
             "Once a replacement is ordered the old card stays blocked, so please cut it up if you find it."),
        ),
    },
    {
        "label": "card_arrival",
        "title": "new card has not arrived",
        "businesses": ("banking",),
        "templates": (
            "I ordered a new card {days} days ago and it still hasn't arrived.",
            "When will my new card arrive?",
            "I'm still waiting for my card, is it on its way?",
            "my replacement card never came in the post",
            "Can I track the delivery of my card?",
            "It's been over a week and no sign of my new debit card.",
            "How long does it take for a card to be delivered?",
            "My card was supposed to come by {date} but nothing yet.",
            "I haven't received the card you sent me.",
            "Where is my card? I requested it {days} days ago.",
            "Still no card in my mailbox, should I be worried?",
            "did you send my new card yet",
            "The card I ordered is taking forever to get here.",
            "Is there a way to check where my bank card is?",
        ),
        "empathy": ("Sorry for the wait, I know you need your card.",
                    "I understand waiting for a card is frustrating."),
        "action": ("Cards usually arrive within 7 working days of ordering, and you can check the delivery "
                   "status in {app} under Cards > Track card. If it hasn't arrived after 10 working days, we'll "
                   "cancel it and send a new one free of charge."),
        "keywords": ("track", "working days"),
        "followups": (
            ("Can I use my card online before it arrives?",
             "Yes, a virtual card is ready to use right away in the app under Cards > Virtual card."),
            ("Can you send it to a different address?",
             "Yes, update your address in the app first, then order the card again and it will go there."),
        ),
    },
    {
        "label": "card_declined",
        "title": "card payment declined",
        "businesses": ("banking",),
        "templates": (
            "My card was declined at {merchant} even though I have money.",
            "Why does my card keep getting declined?",
            "payment got refused at {merchant}, what's wrong with my card",
            "I tried to pay online and the card was rejected.",
            "The card machine said declined when I tried to pay for {amount}.",
            "My card isn't working in shops today.",
            "Every time I use my card it says transaction declined.",
            "I was embarrassed at the checkout because my card didn't work.",
            "Can you tell me why my payment of {amount} was declined?",
            "card declined again at {merchant}, please fix this",
            "My contactless payment failed twice today.",
            "I can't pay with my card, it gets rejected every time.",
            "Why was my card refused at the petrol station?",
            "The online shop says my card was declined by the bank.",
        ),
        "empathy": ("Sorry your payment didn't go through, that's frustrating at the till.",
                    "I'm sorry about the declined payment, let's find out why."),
        "action": ("Please check in {app} that your balance covers the payment and that the card isn't frozen "
                   "under Cards > Settings; online and contactless payments can also be switched on there. If "
                   "everything looks fine, send us the time and amount of the payment and we'll check it for you."),
        "keywords": ("balance", "frozen", "settings"),
        "followups": (
            ("Is there a limit on contactless payments?",
             "Yes, a single contactless payment can be up to 100 pounds; above that please insert your card and "
             "use your PIN."),
            ("Could it be a fraud block?",
             "It could; if we paused a payment for safety you'll see a notification in the app asking you to "
             "confirm it was you."),
        ),
    },
    {
        "label": "transfer_not_received",
        "title": "transfer not received by recipient",
        "businesses": ("banking",),
        "templates": (
            "I sent {amount} to my sister on {date} and she still hasn't got it.",
            "My transfer hasn't arrived in the other account.",
            "the money i transferred yesterday never reached my landlord",
            "How long does a bank transfer take? My friend hasn't received it.",
            "I made a payment of {amount} but the recipient says nothing came in.",
            "Where is the money I sent on {date}?",
            "My rent transfer is missing, the landlord hasn't been paid.",
            "The transfer shows as sent but my brother has not received it.",
            "Can you check why my transfer of {amount} didn't arrive?",
            "I transferred money to another bank two days ago and it's not there.",
            "the payment i sent is stuck somewhere",
            "My colleague is still waiting for the money I transferred.",
            "Why hasn't my transfer gone through yet?",
            "I need to know where my transfer went.",
        ),
        "empathy": ("I understand, it's worrying when money doesn't arrive.",
                    "Sorry for the worry, let's trace the payment."),
        "action": ("Most transfers arrive within 2 hours, but some take up to 1 working day. Please check the "
                   "status of [your transfer of {amount}|your transfer] in {app} under Payments. If it shows "
                   "Completed and the money still hasn't arrived after one working day, send us the reference "
                   "and we'll trace it with the receiving bank."),
        "keywords": ("status", "reference", "trace"),
        "followups": (
            ("Can I cancel the transfer instead?",
             "If the status is still Pending you can cancel it in the app under Payments; completed transfers "
             "can't be cancelled, but we can ask the other bank to return them."),
            ("What if I typed the wrong account number?",
             "Tell us the reference straight away and we'll ask the receiving bank to return the money; this "
             "usually takes up to 10 working days."),
        ),
    },
    {
        "label": "pin_blocked",
        "title": "PIN blocked after wrong attempts",
        "businesses": ("banking",),
        "templates": (
            "I entered the wrong PIN three times and now my card is blocked.",
            "My PIN is blocked, how do I unblock it?",
            "forgot my pin and now the atm wont let me use the card",
            "The cash machine says my PIN is locked.",
            "How can I reset my card PIN?",
            "I typed my PIN wrong too many times at {merchant}.",
            "My card PIN got blocked after a few tries.",
            "I can't remember my PIN, can you send it to me?",
            "Is there a way to see my PIN in the app?",
            "PIN locked after three attempts, please help",
            "The terminal at {merchant} told me my PIN is blocked.",
            "I need to unlock my PIN so I can withdraw cash.",
            "how do i get a new pin for my debit card",
            "I keep entering the wrong PIN and now nothing works.",
        ),
        "empathy": ("No worries, this happens to a lot of people.",
                    "Sorry about that, it's easy to fix."),
        "action": ("You can view your PIN in {app} under Cards > Show PIN, then tap Unblock PIN. To finish "
                   "unblocking, use your card with the PIN once at any cash machine. We will never ask you for "
                   "your PIN in chat."),
        "keywords": ("show pin", "unblock", "cash machine"),
        "followups": (
            ("Can I change my PIN to something easier?",
             "Yes, you can change it at any cash machine through PIN services once it's unblocked."),
            ("Does unblocking cost anything?",
             "No, unblocking your PIN is free."),
        ),
    },
    # ---------------------------------------------------------------- telecom
    {
        "label": "roaming_activation",
        "title": "turn on roaming abroad",
        "businesses": ("telecom",),
        "templates": (
            "I'm travelling to {country} next week, how do I turn on roaming?",
            "Will my phone work in {country}?",
            "how do i activate roaming before my trip",
            "I'm abroad in {country} and my data isn't working.",
            "Do I need to do anything to use my phone overseas?",
            "Can you switch on roaming for my number please?",
            "I just landed in {country} and have no mobile data.",
            "What does it cost to use my data in {country}?",
            "Please enable international roaming on my line.",
            "going to {country} on {date}, is roaming included",
            "My calls don't work since I arrived in {country}.",
            "How can I use my plan while on holiday abroad?",
            "Is roaming turned on automatically or do I have to ask?",
            "I need roaming for a business trip to {country}.",
        ),
        "empathy": ("Happy to help you stay connected on your trip.",
                    "Let's get you connected abroad."),
        "action": ("Open {app}, go to Plan > Roaming and switch roaming on[ for {country}|]. Then turn on data "
                   "roaming in your phone's settings when you arrive. You pay the daily rate shown in the app, "
                   "and we'll text you the prices when you land."),
        "keywords": ("roaming", "daily rate", "settings"),
        "followups": (
            ("Can I set a spending limit abroad?",
             "Yes, under Plan > Roaming you can set a monthly limit and we'll pause data when you reach it."),
            ("Do incoming calls cost money abroad?",
             "Incoming calls are covered by the daily rate, so there's no extra charge on days you pay it."),
        ),
    },
    {
        "label": "data_plan_change",
        "title": "change mobile data plan",
        "businesses": ("telecom",),
        "templates": (
            "I want more data, can I switch to {plan}?",
            "How do I change my mobile plan?",
            "i keep running out of data every month",
            "Can I downgrade to a cheaper plan?",
            "I'd like to move to {plan} starting this month.",
            "Is it possible to upgrade my data allowance?",
            "What plans do you have with more data?",
            "Please change my tariff to {plan}.",
            "My current plan is too expensive, I want something smaller.",
            "can i get {plan} instead of what i have now",
            "I need a bigger data bundle for work.",
            "How can I switch plans without a new contract?",
            "I'd like to reduce my data plan to save money.",
            "Could I try {plan} for a month?",
        ),
        "empathy": ("Sure, let's find the plan that fits you.",
                    "Happy to help you change your plan."),
        "action": ("You can change your plan any time in {app} under Plan > Change plan[ and pick {plan}|]. The "
                   "new plan starts on your next billing date, or straight away if you choose Start now, in "
                   "which case we only charge the difference for the rest of the month."),
        "keywords": ("change plan", "billing date", "start now"),
        "followups": (
            ("Will I lose my unused data?",
             "Unused data from this month stays until your billing date, then the new allowance starts."),
            ("Can I change back later?",
             "Yes, you can change your plan once per billing month at no cost."),
        ),
    },
    {
        "label": "no_signal",
        "title": "no signal or network problem",
        "businesses": ("telecom",),
        "templates": (
            "I have no signal at home since {date}.",
            "My phone says no service all the time.",
            "the network is down in my area, calls keep dropping",
            "Why can't I make calls today?",
            "I've had terrible reception for {days} days.",
            "My mobile data stopped working this morning.",
            "Is there an outage near me? I have zero bars.",
            "Calls keep cutting out every few minutes.",
            "I can't send texts, it says network not available.",
            "no signal at all since yesterday, what is going on",
            "My internet on the phone is extremely slow everywhere.",
            "Is your network having problems right now?",
            "The signal in my office disappeared last week.",
            "my phone cant connect to the network",
        ),
        "empathy": ("Sorry you're having trouble with the signal, that's really annoying.",
                    "I'm sorry about the connection problems, let's sort them out."),
        "action": ("Please restart your phone and switch airplane mode on and off, then check for outages near "
                   "you on the coverage map at {site}/coverage. If there is no outage and it still doesn't work, "
                   "send us your postcode and we'll open a network ticket and update you within 48 hours."),
        "keywords": ("restart", "coverage map", "postcode"),
        "followups": (
            ("Will I get money back for the days without service?",
             "Yes, if we confirm a network fault we credit your bill for the days you were affected."),
            ("Could it be my SIM card?",
             "It could; if other phones work in the same place, try your SIM in another phone or order a new one "
             "free in the app."),
        ),
    },
    {
        "label": "sim_replacement",
        "title": "replace SIM or get an eSIM",
        "businesses": ("telecom",),
        "templates": (
            "My SIM card is damaged and the phone doesn't read it.",
            "I need a new SIM card.",
            "can i switch to an esim",
            "My phone says no SIM card detected.",
            "I cut my SIM too small for my new phone, can I get another?",
            "How do I get a replacement SIM?",
            "My new phone only takes eSIM, how do I move my number?",
            "I lost my SIM card when I changed phones.",
            "the sim stopped working after i dropped my phone",
            "Can you send me a nano SIM?",
            "I'd like an eSIM instead of a physical card.",
            "Please post a new SIM to me, mine is broken.",
            "My SIM card is cracked.",
            "How long does it take to get a new SIM?",
        ),
        "empathy": ("No problem, we'll get you a new SIM quickly.",
                    "Sorry about the SIM trouble, this is easy to fix."),
        "action": ("Order a free replacement in {app} under Account > SIM card. A physical SIM arrives in 2 "
                   "working days, or choose eSIM to get a QR code right away. Your number and plan stay exactly "
                   "the same."),
        "keywords": ("sim card", "esim", "number"),
        "followups": (
            ("How do I activate the new SIM?",
             "Put it in your phone and it activates within an hour; the old SIM stops working at the same time."),
            ("Do I need to back up my contacts?",
             "Contacts saved on your phone or cloud account are not affected by a new SIM."),
        ),
    },
    {
        "label": "port_number",
        "title": "keep number when switching provider",
        "businesses": ("telecom",),
        "templates": (
            "I'm switching to another provider and want to keep my number.",
            "How do I get my transfer code?",
            "i want to port my number out",
            "Can I take my phone number with me if I leave?",
            "What do I need to move my number to a new network?",
            "Please give me the code to keep my number.",
            "I'm leaving Skyline, how do I transfer my mobile number?",
            "My new provider asked for a number transfer code.",
            "how long does it take to move my number",
            "I want to change networks but keep the same number.",
            "Will I lose my number if I cancel?",
            "I need the porting code for my line.",
            "Can you help me transfer my number to another company?",
            "What's the process for keeping my number when switching?",
        ),
        "empathy": ("Sorry to see you go, but I'll make the switch easy.",
                    "Of course, you can keep your number."),
        "action": ("Request your number transfer code in {app} under Account > Keep my number; it arrives by "
                   "text and is valid for 30 days. Give the code to your new provider and the switch happens "
                   "within 1 working day. Your Skyline plan ends automatically on the switch date."),
        "keywords": ("transfer code", "new provider", "1 working day"),
        "followups": (
            ("Will I be without service during the switch?",
             "You might lose service for up to a couple of hours on the switch day, not longer."),
            ("Do I still need to pay my last bill?",
             "Yes, you'll get a final bill up to the switch date, including any early exit fee if you are in "
             "your minimum term."),
        ),
    },
    # ---------------------------------------------------------------- e-commerce
    {
        "label": "order_tracking",
        "title": "where is my order",
        "businesses": ("ecommerce",),
        "templates": (
            "Where is my order {order}?",
            "My package hasn't arrived yet.",
            "can you tell me when order {order} will be delivered",
            "I ordered a new {item} on {date} and it's still not here.",
            "How can I track my parcel?",
            "The delivery date has passed and I have nothing.",
            "Is my order {order} on its way?",
            "tracking says delivered but i didn't get it",
            "My {item} was due yesterday, where is it?",
            "I'd like an update on my delivery.",
            "How long until my order ships?",
            "The courier never showed up with order {order}.",
            "When will my {item} arrive?",
            "Has my order even been sent?",
        ),
        "empathy": ("I'm sorry your order isn't with you yet.",
                    "I understand you're waiting, let's find your parcel."),
        "action": ("You can follow [order {order}|your order] under Your Orders > Track package on {site}; the "
                   "tracking link shows the courier and the expected delivery date. If it's more than 3 days "
                   "late, reply here and we'll contact the courier or send a replacement."),
        "keywords": ("track package", "courier", "3 days"),
        "followups": (
            ("It says delivered but I don't have it.",
             "Please check with neighbours and your safe place; if it doesn't turn up within 48 hours we'll send "
             "a replacement or a full refund."),
            ("Can I change the delivery day?",
             "Yes, the courier's tracking page lets you pick another day or a pickup point."),
        ),
    },
    {
        "label": "return_item",
        "title": "return an item",
        "businesses": ("ecommerce",),
        "templates": (
            "I want to return the {item} I bought.",
            "How do I send something back?",
            "the {item} doesn't fit, can i return it",
            "What's your return policy?",
            "I'd like to return order {order}.",
            "Can I return the {item} I bought on {date}?",
            "I changed my mind about the {item}, how do I return it?",
            "Do I have to pay for return shipping?",
            "how do i get a return label",
            "The {item} is not what I expected, I'd like to send it back.",
            "Is it too late to return something I got last month?",
            "I need to return a gift I received.",
            "Please help me return part of order {order}.",
            "Where do I drop off a return?",
        ),
        "empathy": ("Sorry it didn't work out, returns are simple.",
                    "No problem, I'll walk you through the return."),
        "action": ("You can return [the {item}|items] within 30 days of delivery. Go to Your Orders on {site}, "
                   "choose [order {order}|the order] and Return item, then print the free return label and drop "
                   "the parcel at any post office. We refund you within 5 business days of receiving it."),
        "keywords": ("30 days", "return label", "post office"),
        "followups": (
            ("Can I exchange it for another size instead?",
             "Yes, choose Exchange instead of Return and we'll send the new size as soon as the return is "
             "scanned."),
            ("I don't have a printer.",
             "Choose QR code when you create the return; the post office scans it from your phone."),
        ),
    },
    {
        "label": "refund_request",
        "title": "refund not received",
        "businesses": ("ecommerce",),
        "templates": (
            "I returned the {item} two weeks ago and still no refund.",
            "When will I get my money back?",
            "where is my refund for order {order}",
            "You received my return but I haven't been refunded.",
            "I was promised a refund of {amount}, where is it?",
            "How long do refunds take?",
            "My refund for the {item} is overdue.",
            "I sent back order {order} on {date}, when is the refund coming?",
            "still waiting on my refund, this is ridiculous",
            "The refund didn't show up on my card.",
            "Can you check the status of my refund?",
            "I cancelled my order but the money wasn't returned.",
            "Refund of {amount} not received yet.",
            "Why is my refund taking so long?",
        ),
        "empathy": ("I'm sorry you're still waiting for your money.",
                    "I understand, waiting for a refund is frustrating."),
        "action": ("Refunds are issued within 5 business days after your return reaches our warehouse, and your "
                   "bank may take another 3 to 5 days to show it. You can see the refund status under Your Orders "
                   "> Returns on {site}. If it says Received and you still have no refund after 10 days, send us "
                   "[order {order}|the order number] and we'll chase it."),
        "keywords": ("5 business days", "refund status", "chase"),
        "followups": (
            ("Will the refund go back to my card?",
             "Yes, refunds always go to the payment method you used for the order."),
            ("Is the shipping cost refunded too?",
             "If you return the whole order within 30 days, the original shipping cost is refunded as well."),
        ),
    },
    {
        "label": "damaged_item",
        "title": "item arrived damaged",
        "businesses": ("ecommerce",),
        "templates": (
            "The {item} arrived broken.",
            "My order came damaged, the box was crushed.",
            "the {item} i received is cracked",
            "One of the items in order {order} is faulty.",
            "I got a damaged {item}, what can I do?",
            "The product was smashed when it arrived on {date}.",
            "My {item} doesn't work out of the box.",
            "Part of my order is missing and the rest is broken.",
            "the screen on the {item} was scratched when i opened it",
            "I received a defective product.",
            "Order {order} arrived in pieces.",
            "The {item} has a big dent in it.",
            "What should I do if my delivery is damaged?",
            "Everything in the parcel was wet and ruined.",
        ),
        "empathy": ("I'm so sorry your order arrived damaged.",
                    "That's really disappointing, sorry about that."),
        "action": ("Please send a photo of the damage via Your Orders > Report a problem on {site}. We'll send a "
                   "free replacement or a full refund, whichever you prefer, and you don't need to return "
                   "[the broken {item}|the damaged item]."),
        "keywords": ("photo", "replacement", "refund"),
        "followups": (
            ("How fast is the replacement sent?",
             "Replacements ship the next working day with free express delivery."),
            ("What if I already threw away the box?",
             "That's fine, a photo of the damaged item itself is enough."),
        ),
    },
    {
        "label": "cancel_order",
        "title": "cancel an order",
        "businesses": ("ecommerce",),
        "templates": (
            "Can I cancel order {order}? I ordered it by mistake.",
            "I want to cancel my order.",
            "please cancel the {item} i just bought",
            "How do I cancel an order before it ships?",
            "I accidentally ordered the {item} twice, cancel one please.",
            "Is it too late to cancel order {order}?",
            "I placed an order on {date} and don't need it anymore.",
            "cancel my last order",
            "I found it cheaper elsewhere, can I cancel?",
            "Stop my order {order} from being shipped please.",
            "Can I still cancel if it's already been dispatched?",
            "I ordered the wrong {item} and want to cancel.",
            "How do I cancel part of an order?",
            "Please don't send order {order}, I changed my mind.",
        ),
        "empathy": ("No problem, let's cancel it for you.",
                    "Sure, I can help with that."),
        "action": ("If [order {order}|the order] hasn't shipped yet, cancel it under Your Orders > Cancel items on "
                   "{site} and you'll get a full refund within 3 business days. If it has already shipped, you "
                   "can refuse the delivery or return it for free within 30 days."),
        "keywords": ("cancel items", "shipped", "refund"),
        "followups": (
            ("The cancel button is greyed out.",
             "That means the order is already being packed; you can refuse the delivery and we refund you "
             "automatically."),
            ("Will I be charged anything for cancelling?",
             "No, cancelling is free."),
        ),
    },
    # ---------------------------------------------------------------- streaming
    {
        "label": "playback_issue",
        "title": "video does not play or buffers",
        "businesses": ("streaming",),
        "templates": (
            "{show} keeps buffering on my {device}.",
            "Videos won't play, I just get a black screen.",
            "the app crashes every time i start a show",
            "The picture quality is terrible on my {device}.",
            "I get an error code when I try to watch {show}.",
            "Streaming stops every few minutes.",
            "Why is Lumen so slow on my {device}?",
            "sound and picture are out of sync",
            "I can't watch anything tonight, it just spins.",
            "Playback fails on my {device} but works on my phone.",
            "The episode freezes halfway through.",
            "My downloads won't play offline.",
            "{show} won't load at all.",
            "The video keeps dropping to low quality.",
        ),
        "empathy": ("Sorry your show isn't playing properly, let's fix it.",
                    "That's frustrating in the middle of a show, sorry."),
        "action": ("Please restart {app} and your [{device}|device], check your internet speed is at least 5 "
                   "Mbps (25 Mbps for 4K), and make sure the app is updated. If it still fails, sign out and back "
                   "in, then tell us your device model and any error code so we can look deeper."),
        "keywords": ("restart", "internet speed", "update"),
        "followups": (
            ("Could my plan limit the quality?",
             "Yes, the Basic plan streams in HD; 4K needs the Premium plan."),
            ("It only happens in the evening.",
             "That usually points to a busy home network; try a wired connection or pause other downloads."),
        ),
    },
    {
        "label": "plan_upgrade",
        "title": "upgrade streaming plan",
        "businesses": ("streaming",),
        "templates": (
            "How do I get 4K on my account?",
            "I want to add another screen to my plan.",
            "can i upgrade to premium",
            "What's the difference between Standard and Premium?",
            "My family wants to watch on 4 devices at once.",
            "Please upgrade my plan starting today.",
            "How much more is the Premium plan?",
            "I'd like to watch in ultra HD.",
            "upgrade my lumen plan please",
            "Can I move up to a bigger plan mid-month?",
            "My plan only allows one stream, how can I get more?",
            "Is there a plan with more screens?",
            "I want the best picture quality you have.",
            "How do I switch from Basic to Standard?",
        ),
        "empathy": ("Great choice, upgrading is quick.",
                    "Happy to help you get more out of Lumen."),
        "action": ("Upgrade at {site} under Account > Plan > Change plan. Premium gives you 4K and 4 screens at "
                   "once, Standard gives HD and 2 screens. The upgrade applies immediately and you only pay the "
                   "difference for the rest of this billing period."),
        "keywords": ("change plan", "premium", "difference"),
        "followups": (
            ("Can I downgrade again later?",
             "Yes, a downgrade takes effect at the start of your next billing period."),
            ("Do I need a new device for 4K?",
             "You need a 4K screen and a connection of at least 25 Mbps."),
        ),
    },
    # ---------------------------------------------------------------- shared
    {
        "label": "cancel_subscription",
        "title": "cancel a subscription or contract",
        "businesses": ("telecom", "ecommerce", "streaming"),
        "templates": (
            "I want to cancel my {sub}.",
            "How do I end my {sub}?",
            "please cancel my {sub} from next month",
            "I don't use it anymore, how can I stop paying?",
            "Can I cancel my {sub} online?",
            "I'd like to close my {sub} today.",
            "what happens if i cancel my {sub} early",
            "Stop charging me, I want to unsubscribe.",
            "I'm moving abroad and need to cancel my {sub}.",
            "Is there a fee to cancel my {sub}?",
            "How do I turn off auto renewal?",
            "Cancel everything please, I'm done.",
            "I need to end my {sub} before it renews on {date}.",
            "Please terminate my {sub}.",
        ),
        "empathy": ("Sorry to see you go, I'll make it easy.",
                    "I understand, let me explain how to cancel."),
        "action": {
            "telecom": ("You can cancel in {app} under Plan > Cancel plan or by calling {phone}. If you're still "
                        "in your minimum term an early exit fee applies, and the app shows the exact amount before "
                        "you confirm. Your service continues until the end of the 30-day notice period."),
            "ecommerce": ("You can cancel your Cartwheel Plus membership at {site} under Account > Memberships > End "
                          "membership. You keep the benefits until the end of the current period, and if you "
                          "haven't used them since your last payment we refund it in full."),
            "streaming": ("You can cancel any time at {site} under Account > Membership > Cancel membership. You "
                          "keep watching until the end of the current billing period and you won't be charged "
                          "again."),
        },
        "keywords": ("cancel", "end of the"),
        "followups": (
            ("Can I come back later?",
             "Of course, you can restart any time with the same account and your settings are kept."),
            ("Will I get a confirmation?",
             "Yes, we email you a confirmation as soon as the cancellation is done."),
        ),
    },
    {
        "label": "password_reset",
        "title": "reset password or cannot log in",
        "businesses": ALL,
        "templates": (
            "I forgot my password and can't log in.",
            "How do I reset my password?",
            "the app keeps saying wrong password",
            "I'm locked out of my {account_word}.",
            "The password reset email never arrived.",
            "Can't sign in to {app}, please help.",
            "i need to change my password",
            "My login doesn't work anymore.",
            "I think someone changed my password.",
            "How can I recover my {account_word}?",
            "It says my account is locked after too many attempts.",
            "Forgot my login details, what now?",
            "I can't remember which email I used to sign up.",
            "Reset link expired before I could use it.",
        ),
        "empathy": ("No problem, let's get you back in.",
                    "Sorry you're locked out, this only takes a minute."),
        "action": ("Tap Forgot password on the sign-in screen of {app} or at {site} and enter your email; we'll "
                   "send a reset link that is valid for 1 hour. If it doesn't arrive in a few minutes, check your "
                   "spam folder. Never share your password or one-time codes with anyone, including us."),
        "keywords": ("forgot password", "reset link", "spam"),
        "followups": (
            ("What if I no longer have access to that email?",
             "Reply here and we'll verify your identity with a few security questions, then update your email."),
            ("Will I be logged out on my other devices?",
             "Yes, changing your password signs you out everywhere for security."),
        ),
    },
    {
        "label": "address_change",
        "title": "update home or delivery address",
        "businesses": ALL,
        "templates": (
            "I moved, I need to update my address to {street}.",
            "How do I change my address?",
            "please update my address on file",
            "I have a new home address, where do I change it?",
            "My address is wrong in my account.",
            "Can you change my address to {street}?",
            "we moved house last week, need to update details",
            "How can I edit my delivery address?",
            "I'm relocating on {date}, can I change my address now?",
            "Where in the app do I update where I live?",
            "My post is going to my old flat.",
            "i need to change my billing address",
            "Please use {street} as my address from now on.",
            "Update my address, I've moved to another city.",
        ),
        "empathy": ("Congratulations on the move!",
                    "Thanks for letting us know you've moved."),
        "action": ("You can update it yourself in {app} under {profile_path}[ by entering {street}|]; the change "
                   "takes effect immediately. {address_note}"),
        "keywords": ("update", "immediately"),
        "followups": (
            ("Do I need to do anything else?",
             "No, once it's saved everything we send goes to the new address."),
            ("Can I change it back if I made a mistake?",
             "Yes, you can edit your address again at any time."),
        ),
    },
    {
        "label": "billing_dispute",
        "title": "wrong or unexpected charge",
        "businesses": ALL,
        "templates": (
            "I was charged {amount} twice this month.",
            "There's a charge I don't recognise on my statement.",
            "why did you take {amount} from my account",
            "My bill is much higher than usual.",
            "I was billed after I cancelled.",
            "There is a strange payment of {amount} on {date}.",
            "You overcharged me, I want my money back.",
            "i think this charge is a mistake",
            "I see a double payment for the same thing.",
            "Can you explain the extra fee on my bill?",
            "I never authorised this charge of {amount}.",
            "My latest bill has charges I didn't agree to.",
            "How do I dispute a payment?",
            "why is there an extra {amount} on my account",
        ),
        "empathy": ("I'm sorry about the unexpected charge, let's look into it.",
                    "I understand, nobody likes a surprise on their bill."),
        "action": ("Please check [the charge of {amount}|the charge] in {billing_place}. If it's a duplicate or you "
                   "don't recognise it, reply with the date and amount and we'll open a dispute right away; you'll "
                   "hear back within 5 business days and any wrong charge is refunded in full."),
        "keywords": ("dispute", "date and amount", "refunded"),
        "followups": (
            ("Do I need to do anything while you check?",
             "No, just keep an eye on your email; we'll contact you if we need more details."),
            ("Will this affect my account?",
             "No, a disputed charge doesn't affect your account or service while we investigate."),
        ),
    },
    {
        "label": "human_agent",
        "title": "speak to a human",
        "businesses": ALL,
        "templates": (
            "I want to speak to a real person.",
            "Can I talk to a human please?",
            "get me an agent",
            "Is there a phone number I can call?",
            "I don't want a bot, connect me to someone.",
            "How do I reach customer service by phone?",
            "Transfer me to a manager.",
            "i need to talk to someone in person",
            "Are your agents available right now?",
            "Can someone call me back?",
            "This chat isn't helping, I want a person.",
            "What are your phone support hours?",
            "Put me through to a specialist.",
            "I'd rather explain this on the phone.",
        ),
        "empathy": ("Of course, I understand.",
                    "Sure, happy to connect you."),
        "action": ("You can call our team on {phone} ({hours}), or I can transfer this chat to a specialist now. "
                   "Just tell me in one sentence what it's about so they can help you faster."),
        "keywords": ("call", "transfer", "specialist"),
        "followups": (
            ("How long is the wait?",
             "The wait is usually under 5 minutes; chat transfers are often faster."),
            ("Can you call me instead?",
             "Yes, share a good time and number and a specialist will call you back within one working day."),
        ),
    },
]

# ---------------------------------------------------------------- wrappers and slot pools
OPENERS = ("", "", "", "Hi,", "Hello,", "Hi there!", "Good morning.", "Hey,", "Hello, I hope you can help.",
           "Hi, this is {name}.", "Good evening,", "Excuse me,", "Hello team,", "hi")
CLOSERS = ("", "", "", "Thanks.", "Thank you!", "Thanks in advance.", "Please help.", "Can you help?",
           "Thanks, {name}", "Regards, {name}", "This is urgent!", "Cheers.", "Appreciate it.", "thx")

CURT_REPLIES = ("Check the app.", "Not our problem.", "Read the FAQ.", "We can't do anything about that.",
                "Just wait.", "Try again later.", "Contact someone else.", "That's how it works.", "No.",
                "Figure it out yourself.")
# Polite but useless: about as long as a good reply, so preference items are not a length contest.
UNHELPFUL_REPLIES = (
    "Thank you for your message. We have received it and it will be handled in due course by the relevant "
    "team. We aim to respond to all enquiries as quickly as we can, but at busy times it may take longer. "
    "Please do not reply to this message, as replies to this address are not monitored.",
    "We value your feedback. Our teams are always working hard to improve our products and services, and "
    "comments like yours help us to do that. We appreciate your patience while we review things on our "
    "side, and we will be in touch if there is anything further to share with you.",
    "Thanks for reaching out to {business}. Unfortunately I am not able to look into this kind of request "
    "through this channel at the moment. There are many different reasons why something like this can "
    "happen, so please try again some other time and it may well have sorted itself out by then.",
    "I see, thank you for explaining. There can be many reasons for this and every case is a little "
    "different, so it is hard to say what has happened here. Things like this usually sort themselves out "
    "on their own after a while, so I would suggest you just wait and see what happens.",
    "Thank you for contacting {business}. Your request is important to us and has been added to our queue. "
    "Someone from the appropriate department may get back to you at a later date. In the meantime, thank "
    "you for your patience and for choosing {business}.",
)
GREETINGS_NAMED = ("Hi {name}!", "Hello {name}.")
GREETINGS_ANON = ("Hi there!", "Hello.")
CLOSINGS = ("", "", "Is there anything else I can help with?", "Let me know if you need anything else.")
THANKS = ("Thanks, that's all.", "Great, thank you!", "Perfect, thanks for your help.", "ok thanks",
          "That helps, thank you.", "Brilliant, cheers.")
GOODBYES = ("You're welcome! Have a great day.", "Glad I could help. Take care!",
            "Happy to help. Have a lovely evening!", "Anytime! Thanks for contacting {business}.")
CHAT_OPENERS = ("Hello", "hi", "Hi, I need some help", "Hello? Anyone there?")
CHAT_WELCOMES = ("Hi, thanks for contacting {business}. How can I help you today?",
                 "Hello and welcome to {business} support. What can I do for you?")

# Slot pools. Values at index % 5 == 4 are eval-only, so eval messages use unseen slot values too.
SLOT_POOLS: dict[str, tuple[str, ...]] = {
    "name": ("Anna", "Ben", "Carla", "David", "Elif", "Farah", "George", "Hana", "Ivan", "Julia", "Kofi", "Lena",
             "Marco", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wei",
             "Ximena", "Yusuf", "Zoe", "Amir", "Bea", "Chen", "Dara"),
    "country": ("Spain", "Japan", "Canada", "Italy", "Mexico", "Portugal", "Thailand", "Greece", "Turkey",
                "Morocco", "the USA", "Brazil", "Germany", "Vietnam", "Norway", "Egypt", "France", "Iceland",
                "Kenya", "Peru"),
    "plan": ("the 10 GB plan", "the 30 GB plan", "Unlimited", "the 5 GB plan", "the 50 GB plan",
             "the Unlimited Max plan", "the 2 GB plan", "the 100 GB plan", "the Family plan", "the 20 GB plan"),
    "item": ("coffee grinder", "pair of running shoes", "desk lamp", "phone case", "winter jacket", "blender",
             "backpack", "bluetooth speaker", "kettle", "office chair", "yoga mat", "toaster", "rain jacket",
             "water bottle", "keyboard", "pair of headphones", "wall clock", "frying pan", "pillow", "mirror"),
    "merchant": ("the supermarket", "a petrol station", "the pharmacy", "an online shop", "a restaurant",
                 "the train station", "a clothes shop", "the airport", "a cafe", "the cinema", "a hotel",
                 "the bakery", "a taxi", "the hardware store", "a bookshop"),
    "device": ("smart TV", "laptop", "phone", "tablet", "games console", "streaming stick", "desktop computer",
               "projector", "old TV", "iPad"),
    "show": ("The Long Harbour", "Night Shift", "Paper Moons", "Kitchen Wars", "The Quiet Coast", "Deep Orbit",
             "Hidden Valley", "Red Signal", "City of Glass", "The Last Ferry", "Wild North", "Midnight Bakery",
             "Silver Lake", "Code Zero", "Blue Summer"),
    "street": ("12 Oak Street", "4 Mill Lane", "88 River Road", "7 Station Avenue", "23 Park Crescent",
               "15 Hill View", "301 King Street", "9 Church Walk", "56 Elm Grove", "2 Harbour Row",
               "40 Meadow Close", "18 Castle Street", "71 Bridge Road", "5 Orchard Way", "63 Bay Terrace"),
    "date": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the 3rd", "the 14th", "the 9th",
             "the 21st", "March 9", "June 2", "the 1st", "Saturday", "the 28th", "April 17"),
}
