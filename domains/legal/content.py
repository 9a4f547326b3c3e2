"""Legal content: clause templates per clause type (with their key fact, NLI hypotheses, plain-language reading,
preferred and risky redline wording), statute and court-opinion templates, client questions, slot pools. Pure
data, no logic; every party, case and number is made up and nothing here is legal advice.

Templates are split by index in generator.py (every 4th is eval-only) and slot pools too (every 5th value),
so eval clauses, hypotheses and questions never repeat training text.

Slots: {a} / {b} the two parties, {days}, {years}, {months}, {amount}, {law}, {court}, {region}; every clause
template states its type's key fact with the slot named in FACTS, so extraction answers are exact spans.
"""

from __future__ import annotations

CLAUSE_TYPES = ("assignment", "termination", "confidentiality", "limitation of liability", "governing law",
                "non-compete", "indemnification", "force majeure")

# The fact each clause type states (extraction question, answer slot, NLI hypotheses, plain-language reading).
FACTS: dict[str, dict] = {
    "assignment": dict(
        slot="b", question=["Whose consent is needed to assign the agreement?",
                            "Who must approve a transfer of this contract to a third party?",
                            "Which party's written consent does an assignment require?",
                            "If the contract is assigned, whose prior approval is required?"],
        entail=["{a} cannot transfer the agreement without the approval of {b}.",
                "An assignment by {a} needs {b}'s written consent.",
                "{b} must agree before {a} assigns its rights.",
                "Without consent from {b}, {a} may not assign this contract."],
        contradict=["{a} may assign the agreement freely without anyone's consent.",
                    "{a} can transfer its rights to any third party at will.",
                    "No consent is needed for {a} to assign the agreement.",
                    "The agreement may be assigned by {a} without notice or approval."],
        plain="{a} cannot hand this contract over to another company unless {b} agrees in writing first."),
    "termination": dict(
        slot="days", question=["What notice period applies to termination for convenience?",
                               "How much notice must be given to terminate without cause?",
                               "How many days of written notice end the agreement?",
                               "What is the notice period for ending the contract?"],
        entail=["Either party may end the agreement by giving {days} of written notice.",
                "The agreement can be terminated without cause on {days} notice.",
                "A notice period of {days} applies to termination for convenience.",
                "Giving {days} written notice is enough to end the contract."],
        contradict=["The agreement cannot be terminated before the end of its term.",
                    "Termination for convenience requires {days2} of notice.",
                    "Neither party may end the agreement without cause.",
                    "The contract may only be ended on {days2} written notice."],
        plain="Either side can end this contract without giving a reason, as long as it warns the other in "
              "writing {days} ahead."),
    "confidentiality": dict(
        slot="years", question=["How long do the confidentiality obligations last?",
                                "For how many years must confidential information be protected?",
                                "What is the duration of the duty of confidentiality?",
                                "How long does the confidentiality duty survive?"],
        entail=["The duty to keep information confidential lasts {years}.",
                "Confidential information must be protected for {years}.",
                "The confidentiality obligations continue for {years}.",
                "For {years} the receiving party must keep the information secret."],
        contradict=["The confidentiality obligations end when the agreement ends.",
                    "Confidential information must be protected for only {years2}.",
                    "The receiving party may disclose confidential information to anyone.",
                    "The duty of confidentiality lasts {years2}."],
        plain="{b} must keep {a}'s private business information secret and use it only for this deal, for "
              "{years}."),
    "limitation of liability": dict(
        slot="amount", question=["What is the cap on liability?",
                                 "Up to what amount is a party liable under the agreement?",
                                 "What is the maximum aggregate liability?",
                                 "What limit applies to damages under this contract?"],
        entail=["A party's total liability is limited to {amount}.",
                "Liability under the agreement is capped at {amount}.",
                "Damages cannot exceed {amount} in aggregate.",
                "The most either party can owe is {amount}."],
        contradict=["Liability under the agreement is unlimited.",
                    "Liability is capped at {amount2}.",
                    "There is no cap on either party's liability.",
                    "Total damages may reach {amount2}."],
        plain="If something goes wrong, the most either side can be made to pay is {amount}, and neither pays "
              "for indirect losses such as lost profits."),
    "governing law": dict(
        slot="law", question=["Which law governs the agreement?",
                              "What is the governing law of this contract?",
                              "Under which jurisdiction's law is the contract interpreted?",
                              "Which law applies to disputes about the agreement?"],
        entail=["The agreement is governed by the laws of {law}.",
                "Disputes are decided under the law of {law}.",
                "The contract is interpreted according to {law} law.",
                "{law} law applies to this agreement."],
        contradict=["The agreement is governed by the laws of {law2}.",
                    "Disputes are decided under the law of {law2}.",
                    "{law2} law applies to this agreement.",
                    "The contract is interpreted according to {law2} law."],
        plain="If there is a dispute, the courts will read this contract using the law of {law}."),
    "non-compete": dict(
        slot="months", question=["How long does the non-compete restriction last?",
                                 "For how many months may the party not compete?",
                                 "What is the duration of the non-competition covenant?",
                                 "How long after termination does the restriction on competing run?"],
        entail=["{a} may not compete with {b} for {months} after the agreement ends.",
                "The restriction on competing lasts {months}.",
                "For {months} {a} must not run a competing business.",
                "The non-compete period is {months}."],
        contradict=["{a} is free to compete with {b} as soon as the agreement ends.",
                    "The non-compete period is {months2}.",
                    "There is no restriction on {a} competing with {b}.",
                    "The restriction on competing lasts {months2}."],
        plain="For {months} after the contract ends, {a} cannot run or join a business that competes with {b} "
              "in {region}."),
    "indemnification": dict(
        slot="a", question=["Which party must indemnify the other?",
                            "Who gives the indemnity under this clause?",
                            "Which party bears third-party claims?",
                            "Who has to defend and hold the other harmless?"],
        entail=["{a} must cover {b}'s losses from third-party claims.",
                "{a} has to defend {b} against claims caused by its breach.",
                "{a} indemnifies {b}.",
                "Claims caused by {a}'s negligence are {a}'s to pay."],
        contradict=["{b} must indemnify {a} for all claims.",
                    "Neither party gives any indemnity.",
                    "{b} bears all third-party claims.",
                    "{a} owes no duty to defend {b}."],
        plain="If someone sues {b} because of something {a} did wrong, {a} must pay for the defence and any "
              "damages."),
    "force majeure": dict(
        slot="days", question=["Within how many days must a force majeure event be notified?",
                               "How quickly must the affected party give notice of a force majeure event?",
                               "What is the deadline to notify a force majeure event?",
                               "How soon must a party report an event beyond its control?"],
        entail=["A party hit by a force majeure event must give notice within {days}.",
                "Force majeure events have to be notified within {days}.",
                "Notice of an event beyond a party's control is due within {days}.",
                "The affected party has {days} to report a force majeure event."],
        contradict=["A party is excused for events beyond its control without giving any notice.",
                    "Force majeure events have to be notified within {days2}.",
                    "No notice of a force majeure event is required.",
                    "Notice of an event beyond a party's control is due within {days2}."],
        plain="Neither side is blamed for delays caused by events it cannot control, such as floods or strikes, "
              "if it tells the other side within {days}."),
}

# Clause wording per type: several drafting styles (US, UK, plain English, numbered sections, all caps).
CLAUSES: dict[str, list[str]] = {
    "assignment": [
        "Neither party may assign this Agreement, in whole or in part, without the prior written consent of {b}, "
        "which consent shall not be unreasonably withheld.",
        "{a} shall not assign, delegate or otherwise transfer any of its rights or obligations under this "
        "Agreement without the prior written consent of {b}.",
        "ASSIGNMENT. This Agreement may not be assigned by {a} except with the written approval of {b}; any "
        "purported assignment without such approval is void.",
        "12.3 Assignment. {a} may not transfer this Agreement to any third party, including by merger or change "
        "of control, unless {b} has first consented in writing.",
        "{a} will not assign or novate this contract without first obtaining the written consent of {b}.",
        "No assignment of this Agreement by {a} shall be effective unless the consent of {b} is obtained in "
        "writing beforehand.",
        "Any assignment or sub-licence by {a} of its rights hereunder requires the prior written consent of {b} "
        "and shall not relieve {a} of its obligations.",
        "{a} may assign this Agreement to an affiliate on notice, but any other assignment requires the prior "
        "written consent of {b}.",
    ],
    "termination": [
        "Either party may terminate this Agreement for convenience upon {days} prior written notice to the other "
        "party.",
        "This Agreement may be terminated by either party without cause by giving not less than {days} written "
        "notice.",
        "TERMINATION FOR CONVENIENCE. Either party may end this Agreement at any time on {days} written notice, "
        "without liability for such termination.",
        "15.2 Either party may terminate this Agreement by serving {days} notice in writing on the other, "
        "without giving reasons.",
        "{a} or {b} may terminate this contract without cause, provided it gives the other {days} advance "
        "written notice.",
        "Without prejudice to its other rights, either party may terminate this Agreement on giving {days} "
        "written notice to the other party.",
        "This Agreement shall continue until terminated by either party on {days} written notice; accrued "
        "rights survive termination.",
        "Either of {a} and {b} may bring this Agreement to an end for any reason by {days} prior notice in "
        "writing.",
    ],
    "confidentiality": [
        "{b} shall hold all Confidential Information of {a} in strict confidence and shall not disclose it to "
        "any third party for a period of {years} from the date of disclosure.",
        "The Receiving Party agrees to use the Confidential Information solely for the Purpose and to keep it "
        "confidential for {years} following termination of this Agreement.",
        "CONFIDENTIALITY. Each party shall protect the other's Confidential Information with at least reasonable "
        "care, and this obligation shall survive for {years}.",
        "8.1 {b} will not disclose or use any confidential information received from {a} other than to perform "
        "this Agreement, and this duty continues for {years} after expiry.",
        "The obligations of confidentiality in this clause shall remain in force for {years} after the "
        "Effective Date, save for information that is or becomes public.",
        "{b} undertakes to keep secret all non-public information disclosed by {a} and to restrict access to "
        "its employees who need to know it, for {years}.",
        "All business, technical and financial information disclosed by {a} shall be treated by {b} as "
        "confidential for a term of {years}.",
        "The recipient shall not copy, publish or disclose the Confidential Information, and these restrictions "
        "shall continue for {years} after the end of the engagement.",
    ],
    "limitation of liability": [
        "In no event shall either party's aggregate liability arising out of this Agreement exceed {amount}.",
        "Except for fraud or wilful misconduct, the total liability of {a} under this Agreement shall not exceed "
        "{amount}, and neither party shall be liable for indirect or consequential damages.",
        "LIMITATION OF LIABILITY. EACH PARTY'S TOTAL LIABILITY FOR ALL CLAIMS SHALL BE LIMITED TO {amount}.",
        "10.1 The maximum aggregate liability of either party, whether in contract, tort or otherwise, is "
        "capped at {amount}.",
        "{a}'s liability for any loss or damage under this contract shall in no case exceed {amount} in the "
        "aggregate.",
        "Neither party shall be liable for loss of profits, and each party's liability for all other losses "
        "shall be limited to {amount}.",
        "The liability of {a} to {b} for all claims in any contract year shall not exceed {amount}.",
        "Subject to the exclusions below, the cumulative liability of each party shall be limited to {amount}.",
    ],
    "governing law": [
        "This Agreement shall be governed by and construed in accordance with the laws of {law}, without regard "
        "to its conflict of laws principles.",
        "This contract and any dispute arising from it shall be governed by the law of {law}, and the courts of "
        "{court} shall have exclusive jurisdiction.",
        "GOVERNING LAW. The laws of {law} govern this Agreement and all claims relating to it.",
        "21. This Agreement is governed by {law} law. The parties submit to the exclusive jurisdiction of the "
        "courts of {court}.",
        "The validity, interpretation and performance of this Agreement shall be governed by the laws of {law}.",
        "Any dispute between {a} and {b} under this Agreement shall be decided under the laws of {law} by the "
        "courts sitting in {court}.",
        "This Agreement, and any non-contractual obligations arising from it, shall be governed by the laws of "
        "{law}.",
        "The parties agree that the laws of {law} apply to this Agreement and irrevocably submit to the courts "
        "of {court}.",
    ],
    "non-compete": [
        "During the term and for {months} thereafter, {a} shall not engage in any business that competes with "
        "{b} in {region}.",
        "{a} agrees that for a period of {months} following termination it will not, directly or indirectly, "
        "provide competing services in {region}.",
        "NON-COMPETITION. For {months} after the end of this Agreement, {a} shall not own, manage or work for a "
        "competitor of {b} in {region}.",
        "9.4 {a} covenants not to compete with {b} in {region} during the term and for {months} after its "
        "expiry or termination.",
        "For {months} after leaving, {a} will not set up or join any business in {region} that competes with "
        "{b}.",
        "{a} shall not, for {months} after the Termination Date, carry on a business in {region} in competition "
        "with {b}.",
        "The Consultant ({a}) shall refrain from competing with {b} within {region} for {months} from the date "
        "this Agreement ends.",
        "Neither {a} nor its affiliates shall, for {months} after termination, solicit {b}'s customers or "
        "compete with {b} in {region}.",
    ],
    "indemnification": [
        "{a} shall indemnify, defend and hold harmless {b} from and against all claims, losses and expenses "
        "arising out of {a}'s breach of this Agreement.",
        "{a} agrees to indemnify {b} against any third-party claim resulting from the negligence or wilful "
        "misconduct of {a}.",
        "INDEMNITY. {a} will defend {b} against any claim that the Services infringe a third party's "
        "intellectual property and pay any resulting damages.",
        "11.1 {a} shall keep {b} fully indemnified against all liabilities, costs and damages arising from any "
        "breach by {a} of its warranties.",
        "{a} shall be responsible for, and shall indemnify {b} against, all claims brought by third parties in "
        "connection with {a}'s products.",
        "{a} will hold {b} harmless from every loss, fine or claim caused by {a}'s failure to comply with "
        "applicable law.",
        "To the fullest extent permitted by law, {a} shall indemnify and defend {b} from any claims for bodily "
        "injury or property damage caused by {a}.",
        "{a} undertakes to reimburse {b} for all reasonable legal fees and damages incurred in defending claims "
        "arising from {a}'s acts or omissions.",
    ],
    "force majeure": [
        "Neither party shall be liable for any failure or delay caused by events beyond its reasonable control, "
        "provided that it notifies the other party within {days} of the event.",
        "If a Force Majeure Event prevents a party from performing, that party's obligations are suspended, "
        "provided it gives written notice within {days}.",
        "FORCE MAJEURE. A party affected by flood, fire, strike, epidemic or war shall notify the other within "
        "{days} and shall use reasonable efforts to resume performance.",
        "17.1 A party shall not be in breach if its performance is prevented by a force majeure event, provided "
        "it informs the other party in writing within {days}.",
        "Delays caused by acts of God, government action or labour disputes are excused if the affected party "
        "gives notice within {days} of their occurrence.",
        "A party claiming relief for an event outside its control must notify the other party within {days} "
        "and keep it informed of the expected duration.",
        "Performance shall be excused during any event beyond a party's reasonable control, on condition that "
        "notice is served within {days}.",
        "If an event outside the reasonable control of {a} or {b} occurs, the affected party must give notice "
        "within {days}, failing which it may not rely on this clause.",
    ],
}

# Redlines: wording a careful lawyer prefers (chosen) vs risky wording (rejected), per clause type.
PREFERRED: dict[str, list[str]] = {
    "assignment": ["Neither party may assign this Agreement without the other party's prior written consent, not to "
                   "be unreasonably withheld, except to a successor to its entire business on written notice.",
                   "{a} may assign this Agreement only with {b}'s prior written consent; any other assignment is "
                   "void."],
    "termination": ["Either party may terminate on {days} written notice; fees for services already performed remain "
                    "payable.", "Termination for convenience requires {days} written notice, and accrued rights "
                    "survive."],
    "confidentiality": ["The recipient shall keep Confidential Information secret for {years}, use it only for the "
                        "Purpose and return or destroy it on request.",
                        "Confidentiality obligations survive for {years}; disclosure is allowed only to advisers "
                        "bound by equivalent duties."],
    "limitation of liability": ["Each party's aggregate liability is capped at {amount}, except for fraud, wilful "
                                "misconduct and breach of confidentiality.",
                                "Liability is limited to {amount}; neither party is liable for indirect loss."],
    "governing law": ["This Agreement is governed by the laws of {law}, and the courts of {court} have exclusive "
                      "jurisdiction.", "The laws of {law} govern; disputes go first to mediation, then to the courts "
                      "of {court}."],
    "non-compete": ["For {months} after termination, {a} shall not compete with {b} in {region}, limited to the "
                    "services it actually provided.", "{a}'s non-compete lasts {months}, covers only {region} and "
                    "only products that compete directly."],
    "indemnification": ["{a} shall indemnify {b} against third-party claims caused by {a}'s breach, subject to prompt "
                        "notice and control of the defence.", "Each party indemnifies the other for claims caused by "
                        "its own negligence, capped as in the liability clause."],
    "force majeure": ["A party affected by a force majeure event must notify the other within {days}; if the event "
                      "lasts over 60 days, either party may terminate.", "Force majeure excuses performance only while "
                      "the event lasts and only if notice is given within {days}."],
}
RISKY: dict[str, list[str]] = {
    "assignment": ["{b} may assign this Agreement at any time without notice to {a}.",
                   "Either party may transfer this Agreement to anyone it chooses."],
    "termination": ["{b} may terminate this Agreement immediately at any time without notice and without refund.",
                    "This Agreement cannot be terminated by {a} for any reason."],
    "confidentiality": ["The recipient may disclose Confidential Information whenever it considers it useful.",
                        "Confidentiality obligations end immediately on termination."],
    "limitation of liability": ["{a}'s liability under this Agreement is unlimited, including for indirect loss.",
                                "{b} has no liability of any kind, while {a} is liable without limit."],
    "governing law": ["{b} may choose the governing law and the court after a dispute arises.",
                      "Any law may apply, as {b} decides from time to time."],
    "non-compete": ["{a} shall never compete with {b} anywhere in the world in any business.",
                    "{a} may not work in any industry for ten years after termination."],
    "indemnification": ["{a} shall indemnify {b} for all claims of any kind, including those caused by {b}'s own "
                        "negligence, without limit.", "{a} indemnifies {b} against everything, whatever the cause."],
    "force majeure": ["{b} is excused from performing whenever it considers performance inconvenient.",
                      "{b} may suspend performance for any reason it calls force majeure, with no notice."],
}

STATUTES = [
    "§ {sec}. Civil action. (a) Any person injured by a violation of this chapter may bring a civil action in "
    "{court} for actual damages, injunctive relief and reasonable attorney's fees. (b) An action must be brought "
    "within {years} of the violation.",
    "Section {sec} - Penalties. A person who violates this section is liable for a civil penalty of not more than "
    "{amount}. The attorney general may bring an action to recover the penalty.",
    "{sec}. Notice to tenants. A landlord shall give a tenant at least {days} written notice before entering the "
    "premises, except in an emergency.",
    "Sec. {sec}. Unfair terms. A term of a consumer contract that limits the trader's liability for death or "
    "personal injury caused by negligence is void.",
    "§ {sec}(b). Records. Every employer shall keep payroll records for at least {years} and shall make them "
    "available to the commissioner on request.",
    "Section {sec}. Right to cure. Before filing suit, a buyer must give the seller {days} written notice of the "
    "defect and an opportunity to cure it.",
    "§ {sec}. Whistleblower protection. An employee who suffers retaliation for reporting a violation may bring an "
    "action in {court} for reinstatement, back pay and damages.",
    "{sec}. Limitation period. No action on a written contract may be commenced more than {years} after the cause "
    "of action accrues.",
]

OPINIONS = [
    "{p} v. {d}, No. {docket} ({court} {year}). The court held that the {topic} clause was enforceable because it "
    "was clear, negotiated between sophisticated parties and reasonable in scope.",
    "In {p} v. {d}, Case No. {docket}, the {court} granted summary judgment for the defendant, finding that the "
    "plaintiff gave no notice within the contractual period.",
    "OPINION. {p} sued {d} for breach of contract (Docket No. {docket}). We affirm: the {topic} clause "
    "unambiguously barred the claim, and the trial court did not err in enforcing it.",
    "{p} v. {d}, {court}, No. {docket}: the non-compete was struck down as broader than necessary to protect "
    "legitimate business interests.",
    "The {court} in {p} v. {d} (No. {docket}) read the {topic} clause against the drafter and denied the motion to "
    "dismiss.",
    "MEMORANDUM ORDER, {p} v. {d}, Civil Action No. {docket}. Counsel for plaintiff, {lawyer} (Bar No. {bar}), "
    "argued that the {topic} clause was unconscionable; the court disagreed.",
    "Appeal from the {court}, No. {docket}. {p} challenges the dismissal of her claim against {d}. Because the "
    "{topic} clause was conspicuous, we affirm.",
    "{p} v. {d}, No. {docket} ({court} {year}) (unpublished): a limitation of liability clause does not protect a "
    "party from its own gross negligence.",
]

# Client questions (lay wording) about a clause; the answer restates the clause's fact.
CLIENT_QUESTIONS: dict[str, list[str]] = {
    "assignment": ["We are selling our company. Can the buyer take over our contract with {b}?",
                   "can i transfer this contract to my new business?", "Do I need anyone's permission to assign this?",
                   "Our investor wants us to move the contract to a subsidiary. Is that allowed?"],
    "termination": ["How do I get out of this contract?", "Can we cancel the agreement early?",
                    "what notice do i have to give to end this?",
                    "If we stop the contract, how much warning is needed?"],
    "confidentiality": ["How long do we have to keep their information secret?",
                        "Can I tell my accountant about the deal?", "when does the secrecy obligation end?",
                        "What happens to their confidential files after the project?"],
    "limitation of liability": ["If they mess up, how much can we claim?", "Is there a limit on what we could owe?",
                                "what's the most we can lose under this contract?",
                                "Can we sue for lost profits if they fail to deliver?"],
    "governing law": ["Which country's law applies if we disagree?", "Where would we have to sue them?",
                      "what law does this contract follow?", "If there is a dispute, which courts decide?"],
    "non-compete": ["Can I start a competing business after this ends?", "How long am I banned from competing?",
                    "am i allowed to work for a competitor next year?", "Where does the non-compete apply?"],
    "indemnification": ["Who pays if a customer sues over this?", "Do we have to cover their legal costs?",
                        "what happens if a third party sues them because of us?",
                        "Are we protected if someone claims our product infringes?"],
    "force majeure": ["What if a flood stops us from delivering?", "Are we liable if a strike delays the work?",
                      "what do we do if something outside our control happens?",
                      "How quickly must we tell them about a delay we can't control?"],
}

COMPANIES = ["Northwind Logistics Inc.", "Bluefield Analytics LLC", "Harbor Point Foods Ltd", "Kestrel Software "
             "Corp.", "Ridgeview Medical Devices Inc.", "Silverline Energy plc", "Oakmont Builders LLC",
             "Tidewater Shipping Co.", "Pinecrest Pharma GmbH", "Lumen Retail Group Inc.", "Granite Peak Mining "
             "Ltd", "Copperleaf Media LLC", "Westbrook Insurance Co.", "Falcon Aerospace Inc.", "Meridian Textiles "
             "Ltd", "Clearwater Hotels LLC", "Summit Cloud Services Inc.", "Redwood Consulting Partners LLP",
             "Ironbridge Capital LLC", "Brightpath Education Inc.", "Cedar Labs Ltd", "Everstone Robotics Inc.",
             "Maple & Finch Design Studio", "Orion Telecom S.A.", "Quarry Lane Brewing Co."]
FIRST = ["James", "Maria", "David", "Susan", "Robert", "Linda", "Michael", "Patricia", "William", "Jennifer",
         "Thomas", "Elizabeth", "Daniel", "Sarah", "Matthew", "Karen", "Anthony", "Nancy", "Mark", "Lisa",
         "Steven", "Emily", "Paul", "Laura", "Andrew"]
LAST = ["Miller", "Garcia", "Thompson", "Okafor", "Nguyen", "Patel", "Kowalski", "Schmidt", "Rossi", "Haddad",
        "Fischer", "Moreau", "Larsen", "Yamamoto", "Brennan", "Alvarez", "Chen", "Dubois", "Novak", "Murphy",
        "Lindqvist", "Santos", "Walsh", "Ibrahim", "Carter"]
LAWS = ["the State of Delaware", "the State of New York", "England and Wales", "the State of California",
        "the Province of Ontario", "Ireland", "the State of Texas", "Singapore", "the State of Illinois",
        "Scotland", "the Commonwealth of Massachusetts", "New South Wales", "the State of Washington",
        "the Netherlands", "the State of Florida", "the State of Georgia", "Hong Kong", "the State of Colorado",
        "Switzerland", "the State of New Jersey"]
COURTS = ["Wilmington, Delaware", "New York County", "London", "San Francisco", "Toronto", "Dublin", "Austin",
          "Singapore", "Chicago", "Edinburgh", "Boston", "Sydney", "Seattle", "Amsterdam", "Miami", "Atlanta",
          "Hong Kong", "Denver", "Zurich", "Newark, New Jersey"]
OPINION_COURTS = ["D. Del.", "S.D.N.Y.", "N.D. Cal.", "Cal. Ct. App.", "Tex. App.", "N.D. Ill.", "Mass. App. Ct.",
                  "W.D. Wash.", "S.D. Fla.", "2d Cir.", "Del. Ch.", "E.D. Pa.", "D. Mass.", "9th Cir.", "N.Y. Sup. Ct."]
REGIONS = ["the United States", "North America", "the European Union", "the State of New York", "the United "
           "Kingdom", "California", "Canada", "any county where {b} does business", "Texas", "Germany",
           "a 50-mile radius of {b}'s offices", "Australia", "the Greater London area", "Ontario", "Illinois"]
TOPICS = ["arbitration", "limitation of liability", "non-compete", "forum selection", "indemnification",
          "termination", "assignment", "confidentiality", "force majeure", "liquidated damages"]
# Numbers: eval values come from every 5th element (generator.py), so an eval clause's numbers are unseen in training.
DAYS = ["30 days", "60 days", "90 days", "14 days", "45 days", "10 business days", "thirty (30) days",
        "sixty (60) days", "7 days", "120 days", "three months", "six months", "15 days", "21 days", "one month"]
YEARS = ["three (3) years", "five years", "two years", "seven years", "four (4) years", "ten years", "one year",
         "eighteen months", "six (6) years", "twelve months", "three years", "five (5) years", "two (2) years",
         "24 months", "36 months"]
MONTHS = ["twelve (12) months", "six months", "eighteen months", "24 months", "one year", "nine months",
          "two years", "12 months", "three months", "thirty-six (36) months", "18 months", "six (6) months",
          "fifteen months", "twenty-four months", "4 months"]
AMOUNTS = ["$250,000", "the fees paid in the twelve months preceding the claim", "$1,000,000", "USD 500,000",
           "£100,000", "$2,500,000", "twice the annual fees", "EUR 750,000", "$50,000", "the total contract value",
           "$5,000,000", "£2,000,000", "the amounts paid under the applicable order form", "$150,000",
           "CAD 300,000"]
TITLES = ["Chief Executive Officer", "General Counsel", "Managing Director", "VP, Legal", "Chief Financial Officer",
          "Director", "Head of Procurement", "President"]
CONTRACTS = ["MASTER SERVICES AGREEMENT", "SUPPLY AGREEMENT", "SOFTWARE LICENSE AGREEMENT", "MUTUAL NON-DISCLOSURE "
             "AGREEMENT", "CONSULTING AGREEMENT", "DISTRIBUTION AGREEMENT", "EMPLOYMENT AGREEMENT",
             "RESELLER AGREEMENT", "DATA PROCESSING AGREEMENT", "SERVICES AND MAINTENANCE AGREEMENT"]
