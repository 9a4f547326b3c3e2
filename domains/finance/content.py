"""Slot pools and templates for the finance generator (all companies, people and numbers are made up).

Every list is split by index in generator.py (every 4th template, every 5th slot value is eval-only), so a
list only has to be long enough for both halves to stay varied.
"""

COMPANIES = [
    ("Northwind Logistics", "NWLG", "transport"), ("Bellmark Foods", "BLMF", "consumer staples"),
    ("Corvane Semiconductor", "CRVS", "semiconductors"), ("Halden Retail Group", "HLDR", "retail"),
    ("Quillstone Software", "QSTN", "software"), ("Marrow Energy", "MRWE", "energy"),
    ("Tessaly Pharmaceuticals", "TSPH", "pharmaceuticals"), ("Brightwater Utilities", "BWUT", "utilities"),
    ("Okafor Mining", "OKMN", "mining"), ("Vantor Aerospace", "VNTA", "aerospace"),
    ("Silvergate Insurance", "SLVI", "insurance"), ("Peregrine Telecom", "PRGT", "telecom"),
    ("Ashcombe Bank", "ASCB", "banking"), ("Lumen Ridge Hotels", "LMRH", "hospitality"),
    ("Kestrel Automotive", "KSTA", "automotive"), ("Duneport Shipping", "DNPS", "shipping"),
    ("Greyfield Chemicals", "GRFC", "chemicals"), ("Arbor Health Systems", "ARHS", "healthcare"),
    ("Solenne Cosmetics", "SLNC", "consumer goods"), ("Fenwick Industrial", "FNWI", "industrials"),
    ("Cobalt Bay Media", "CBBM", "media"), ("Ironleaf Construction", "IRLC", "construction"),
    ("Pinecrest Apparel", "PNCA", "apparel"), ("Meridian Payments", "MRDP", "payments"),
    ("Rookwood Brewing", "RKWB", "beverages"), ("Talon Cybersecurity", "TLNC", "software"),
    ("Westmarch Real Estate", "WMRE", "real estate"), ("Harrowgate Foods", "HRGF", "consumer staples"),
    ("Calder Robotics", "CLDR", "industrials"), ("Ostrava Steel", "OSTS", "materials"),
]

# (line item, typical size in the table's scale, kind): kind decides which questions make sense
LINE_ITEMS = [
    ("Revenue", (8_000, 95_000), "revenue"), ("Net sales", (8_000, 95_000), "revenue"),
    ("Total revenues", (8_000, 95_000), "revenue"), ("Cost of revenue", (4_000, 50_000), "cost"),
    ("Gross profit", (2_000, 40_000), "profit"), ("Operating income", (500, 20_000), "profit"),
    ("Net income", (200, 15_000), "profit"), ("Selling, general and administrative", (900, 12_000), "cost"),
    ("Research and development", (300, 9_000), "cost"), ("Operating cash flow", (600, 18_000), "cash"),
    ("Capital expenditures", (200, 7_000), "cash"), ("Total assets", (20_000, 300_000), "balance"),
    ("Total liabilities", (9_000, 200_000), "balance"), ("Cash and cash equivalents", (900, 40_000), "balance"),
    ("Inventories", (500, 25_000), "balance"), ("Accounts receivable", (700, 30_000), "balance"),
    ("Long-term debt", (1_000, 80_000), "balance"), ("Interest expense", (50, 3_000), "cost"),
    ("Income tax expense", (100, 5_000), "cost"), ("Deferred revenue", (300, 12_000), "balance"),
]

QUARTERS = ["first quarter", "second quarter", "third quarter", "fourth quarter"]
ANALYSTS = ["Maya Lindqvist", "Tom Achebe", "Priya Raman", "Jonas Becker", "Elena Duarte", "Kenji Sato",
            "Sarah O'Neill", "David Mensah", "Lucia Ferrante", "Omar Haddad", "Grace Kowalski", "Ravi Menon",
            "Hannah Fischer", "Carlos Ibarra", "Nora Brennan"]
BANKS = ["Halbrook Securities", "Crane & Moss", "Eastline Capital", "Veritas Partners", "Norrland Bank Research",
         "Kingsbridge Equities", "Redfern Markets", "Alder Street Advisors", "Summit Ridge Capital",
         "Lowther Brothers"]
EXECS = ["Chief Executive Officer Anna Whitfield", "CFO Mark Delaney", "Chief Financial Officer Ruth Okonkwo",
         "CEO Peter Vance", "our CFO, Lena Marsh", "President and CEO Samuel Reyes", "CFO Irene Park",
         "Chief Executive Victor Hale", "Finance Director Clara Jensen", "CEO Daniel Osei"]
CUSTOMERS = ["Laura Bennett", "James Whitaker", "Amira Khalil", "Robert Novak", "Sofia Marin", "Henry Castillo",
             "Mei Tanaka", "Oliver Grant", "Fatima Rahman", "George Pappas", "Ingrid Solberg", "Lucas Moreau",
             "Chloe Adeyemi", "Samuel Brooks", "Nadia Petrova", "Paul Kimura", "Eva Lindgren", "Marco Rossi",
             "Aisha Bello", "Thomas Reilly"]
REGULATORS = ["the SEC", "the FCA", "FINRA", "the central bank", "the prudential regulator"]
CURRENCIES = ["$", "EUR ", "GBP ", "$", "$"]

# ---------------------------------------------------------------- filing and earnings-call excerpts (CPT)
FILING = [
    "{co} ({tk}) - Form 10-K, fiscal {y1}. Management's discussion and analysis: {item} was {cur}{v1} {scale_word} "
    "in fiscal {y1}, compared with {cur}{v0} {scale_word} in fiscal {y0}, {dir_word} of {pct}%. {reason}",
    "ITEM 7. MD&A ({co}). {item} {dir_verb} {pct}% to {cur}{v1} {scale_word} in {y1} from {cur}{v0} {scale_word} "
    "in {y0}, primarily due to {driver}.",
    "Annual report {y1}, {co}. Results of operations: {item} for the year ended December 31, {y1} was "
    "{cur}{v1} {scale_word} ({y0}: {cur}{v0} {scale_word}). {reason}",
    "{co} quarterly report (10-Q), {q} {y1}. {item} {dir_verb} to {cur}{v1} {scale_word}, {dir_word} of {pct}% "
    "year over year, reflecting {driver}.",
    "Note 12 - {item}. The table below presents {item_lower} of {co} (in {scale_word}).\n{table}\n{reason}",
    "{co} | Consolidated statement extract (in {scale_word}, except per-share data)\n{table}\n"
    "Amounts in parentheses are negative.",
    "From the {y1} annual report of {co}: {item} reached {cur}{v1} {scale_word}. The prior-year figure was "
    "{cur}{v0} {scale_word}. {reason}",
    "Segment information ({co}, fiscal {y1}). {item} {dir_verb} {pct}% compared with the prior year, driven by "
    "{driver}. All amounts in {scale_word} unless stated otherwise.",
]
CALL = [
    "{co} {q} {y1} earnings call. {exec}: Thank you, operator. {item} came in at {cur}{v1} {scale_word}, "
    "{dir_word} of {pct}% on last year. {reason} Operator: Our next question comes from {analyst} with {bank}.",
    "Earnings call transcript - {co} ({tk}), {q} {y1}\n{analyst}, {bank}: Can you talk about {item_lower}? "
    "{exec}: Sure. {item} {dir_verb} {pct}% to {cur}{v1} {scale_word}, mainly {driver}.",
    "{exec} on the {co} call: we are pleased with the {q}. {item} was {cur}{v1} {scale_word} versus "
    "{cur}{v0} {scale_word} a year ago. We reiterate our full-year outlook.",
    "Q&A session, {co} {q} {y1}. {analyst} ({bank}): what drove the change in {item_lower}? {exec}: Mostly "
    "{driver}; {item_lower} {dir_verb} {pct}%.",
    "Prepared remarks, {co}. {exec}: {item} for the {q} totalled {cur}{v1} {scale_word}. Margins were "
    "{margin_word}. {reason}",
    "{co} ({tk}) {q} {y1} call, analyst Q&A. {analyst} from {bank} asked about guidance; {exec} said "
    "{item_lower} should grow in the mid single digits next year.",
    "Transcript excerpt: {exec} - \"{item} {dir_verb} {pct}% year over year to {cur}{v1} {scale_word}. "
    "{reason}\" {analyst}, {bank}: \"Thanks, that's helpful.\"",
    "{co} investor update, {q} {y1}: {item} {cur}{v1} {scale_word} ({dir_word} of {pct}%). "
    "Management cited {driver}.",
]
DRIVERS_UP = ["higher volumes in North America", "price increases that took effect in the spring",
              "strong demand for our premium products", "the acquisition completed in the prior year",
              "favourable currency movements", "new customer wins in the enterprise segment",
              "a recovery in travel demand", "growth in subscription revenue", "higher average selling prices",
              "market share gains in Europe"]
DRIVERS_DOWN = ["lower volumes in Asia", "higher input costs", "the loss of a major customer",
                "unfavourable currency movements", "weaker consumer demand", "inventory write-downs",
                "delays in project deliveries", "increased price competition", "the divestiture of a business line",
                "one-off restructuring charges"]
REASONS = ["The increase reflects the factors described below.", "See Note 4 for further detail.",
           "We expect this trend to continue into next year.", "No single customer accounted for more than 10%.",
           "The change was in line with our guidance.", "Management believes liquidity remains adequate.",
           "Comparable figures have been restated for the new segment structure.",
           "Foreign exchange reduced the reported figure by about one point.",
           "The board approved a dividend of 0.42 per share.", "Refer to the risk factors for uncertainties."]

# ---------------------------------------------------------------- news headlines with sentiment
HEADLINES = {
    "positive": [
        "{co} shares jump {pct}% after {item_lower} beats estimates",
        "{co} raises full-year guidance on strong {item_lower}",
        "{tk} surges as {q} profit tops forecasts",
        "{co} wins multi-year contract worth {cur}{v1} million",
        "Operating profit at {co} rose to {cur}{v1} mn from {cur}{v0} mn",
        "{co} lifts dividend by {pct}% after record year",
        "Analysts upgrade {co} to buy, citing margin expansion",
        "{co} posts {pct}% rise in {item_lower}, ahead of consensus",
        "{co} net sales increased by {pct}% to {cur}{v1} million",
        "{tk} hits record high after upbeat outlook",
        "{co} reports strong order intake and higher margins",
        "{co} beats on revenue and earnings, shares climb",
    ],
    "negative": [
        "{co} shares slump {pct}% after profit warning",
        "{co} cuts full-year outlook as {item_lower} falls",
        "{tk} tumbles on weak {q} results",
        "{co} swings to a loss of {cur}{v1} million",
        "Operating profit at {co} fell to {cur}{v0} mn from {cur}{v1} mn",
        "{co} suspends dividend amid falling demand",
        "Analysts downgrade {co} to sell on margin pressure",
        "{co} misses estimates as {item_lower} drops {pct}%",
        "{co} net sales decreased by {pct}% to {cur}{v0} million",
        "{tk} slides after regulator opens probe into accounting",
        "{co} to cut {n} jobs as orders dry up",
        "{co} reports widening losses and lower margins",
    ],
    "neutral": [
        "{co} appoints new chief financial officer",
        "{co} says {item_lower} was in line with expectations",
        "{co} completes previously announced share buyback",
        "{co} to report {q} results on {date}",
        "{co} will hold its capital markets day in {month}",
        "The company's head office is located in {city}",
        "{co} files quarterly report with regulators",
        "{co} operates {n} stores in {n2} countries",
        "{co} names {analyst} to its board of directors",
        "{tk} shares unchanged ahead of earnings",
        "{co} reaffirms guidance, no change to outlook",
        "{tk} annual general meeting scheduled for {date}",
    ],
}
CITIES = ["Helsinki", "Chicago", "Rotterdam", "Leeds", "Denver", "Lyon", "Osaka", "Toronto", "Austin", "Dublin",
          "Gothenburg", "Atlanta", "Porto", "Melbourne", "Zurich"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

# ---------------------------------------------------------------- compliance Q&A (answers are internal policy)
COMPLIANCE = [
    ("Do we need to file a currency transaction report for a cash deposit of {cur}{big}?",
     "Yes. Cash transactions above 10,000 require a currency transaction report within 15 days; do not tell "
     "the customer about any suspicion and log the report number in the case file."),
    ("A client wants to split a {cur}{big} cash deposit into several smaller ones. Is that allowed?",
     "No. Splitting deposits to stay under the reporting threshold is structuring. Escalate to the AML team "
     "and file a suspicious activity report; do not advise the client how to avoid reporting."),
    ("Can I trade {tk} shares during the blackout period before {co} reports results?",
     "No. Employees on the insider list may not trade during the blackout window that starts two weeks "
     "before results. Pre-clear any trade with compliance once the window reopens."),
    ("Is it enough to verify a new corporate client's name and address only?",
     "No. KYC for a company also needs the beneficial owners above 25%, proof of registration and a "
     "sanctions screen of the directors before the account is opened."),
    ("May I recommend a high-risk leveraged product to a retired client with a conservative profile?",
     "No. The product is unsuitable for that risk profile. Document the suitability assessment and offer "
     "products that match the client's stated objectives."),
    ("Can I email a customer's full card number to the fraud team?",
     "No. Never send a full card number by email. Share only the last four digits and the case reference "
     "through the secure case tool."),
    ("A customer asks us to wire {cur}{big} to an account in a sanctioned country. What do we do?",
     "Do not process the payment. Freeze it, screen the parties against the sanctions lists and escalate to "
     "the sanctions officer the same day."),
    ("How long must we keep records of customer identification?",
     "At least five years after the business relationship ends, in a form that can be retrieved for "
     "regulators on request."),
    ("Can we accept a gift worth {cur}{small} from a supplier?",
     "Gifts above 100 must be declared in the gifts register and approved by compliance; cash gifts are "
     "never allowed."),
    ("A relationship manager shares non-public results of {co} in a chat group. What should happen?",
     "Report it to compliance immediately. Sharing material non-public information is a breach of the "
     "market abuse rules; the chat must be preserved and the names added to the insider list."),
    ("Do we have to report a suspected fraud on an account if the customer says it is fine?",
     "Yes. The duty to report suspicion does not depend on the customer's view. File the internal report "
     "and do not tip the customer off."),
    ("Can I open an account for a politically exposed person without extra checks?",
     "No. A politically exposed person needs enhanced due diligence: source of wealth, senior management "
     "approval and ongoing monitoring."),
]
COMPLIANCE_BAD = [
    "Sure, just process it, the customer is a regular.",
    "That's fine, nobody checks those thresholds anyway.",
    "Yes, go ahead, it saves time.",
    "Tell the client to keep each deposit under the limit so no report is needed.",
    "No need to escalate; delete the messages and carry on.",
    "Ask the client what they prefer and do that.",
]

# ---------------------------------------------------------------- payment / card / KYC correspondence (PII on purpose)
CORRESPONDENCE = [
    "Wire transfer instruction\nFrom: {cust}\nDebit account no. {acct}\nBeneficiary IBAN: {iban}\nAmount: "
    "{cur}{small}\nReference: invoice {inv}\nPlease confirm by phone on {phone}.",
    "Card dispute - customer {cust}, card number {card}, disputed amount {cur}{small} at a merchant in {city}. "
    "Chargeback opened; account {acct} credited provisionally.",
    "Dear {cust}, your standing order from account number {acct} (sort code {sort}) to IBAN {iban} has been "
    "set up for {cur}{small} monthly. Regards, Client Services",
    "KYC review for {cust}: passport checked, proof of address received, IBAN {iban} verified by micro-deposit. "
    "Risk rating: low. Card {card} issued.",
    "Fraud alert: card {card} used for {cur}{small} in {city}. Customer {cust} contacted on {phone}; card "
    "blocked and replaced.",
    "Loan file {inv}: borrower {cust}, repayment account {acct}, monthly instalment {cur}{small}, "
    "collateral valued at {cur}{big}.",
    "Payment returned: beneficiary IBAN {iban} closed. Funds of {cur}{small} credited back to account "
    "{acct} of {cust}.",
    "Complaint from {cust} (acct {acct}): card ending {card_last4} charged twice for {cur}{small}. Refund "
    "approved, reference {inv}.",
]
