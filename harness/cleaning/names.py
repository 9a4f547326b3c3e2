"""Word lists for the PERSON heuristic and for fake names (kept apart so pseudonyms never re-use detector
cues in a way that would make the evaluation circular)."""

from __future__ import annotations

# Common given names across English-speaking, European, Hispanic, South-Asian and East-Asian users.
# A capitalised word after one of these is taken as a surname ("Maria Lopez"); a given name on its own
# is only masked in a context (greeting, title, sign-off, "my name is").
FIRST_NAMES = frozenset("""
Aaron Abigail Adam Adrian Ahmed Aisha Alan Albert Alejandro Alex Alexander Alexandra Alice Alicia Alison
Amanda Amelia Amir Amit Amy Ana Andrea Andrew Angela Anil Anita Ann Anna Anne Anthony Antonio Arjun
Arthur Ashley Barbara Benjamin Beth Betty Brandon Brenda Brian Bruce Carl Carlos Carmen Carol Caroline
Catherine Charles Charlotte Chen Chloe Chris Christian Christina Christine Christopher Claire Daniel
David Deborah Deepak Dennis Diana Diane Diego Donald Donna Dorothy Douglas Dylan Edward Elena Elizabeth
Ellen Emily Emma Eric Ethan Eva Evelyn Fatima Felix Fernando Fiona Francesca Francisco Frank Gabriel
Gary George Grace Gregory Hannah Harold Harry Heather Helen Henry Hiroshi Hugo Ian Isabel Isabella
Jack Jacob James Jane Janet Jason Javier Jean Jennifer Jeremy Jessica Jin Joan Joe John Jonathan Jorge
Jose Joseph Joshua Joyce Juan Judith Julia Julie Justin Karen Katherine Kathleen Kelly Kenji Kenneth
Kevin Kimberly Kyle Larry Laura Lauren Lawrence Leah Li Linda Lisa Lucas Lucia Luis Luke Manuel
Margaret Maria Marie Mark Martha Martin Mary Matthew Megan Melissa Mei Michael Michelle Miguel
Mohammed Muhammad Nancy Natalie Nathan Nicholas Nicole Nina Noah Olivia Oliver Omar Pablo Pamela
Patricia Patrick Paul Pedro Peter Philip Priya Rachel Rahul Raj Rajesh Ramon Raymond Rebecca Richard
Robert Roger Ronald Rosa Ruth Ryan Samantha Samuel Sandra Sara Sarah Scott Sean Sharon Shirley Sofia
Sophia Sophie Stephanie Stephen Steven Sunil Susan Takeshi Teresa Thomas Timothy Tom Tyler Victoria
Vikram Vincent Virginia Walter Wei William Yuki Zachary Zoe
""".split())

# Capitalised words that follow greetings/titles/"this is" but are not names.
NOT_NAMES = frozenset("""
A All Again An And Any Anyone As At Account Admin Agent Also Assistant Billing Bot Both But By Can Customer
Customers Dear Department Desk Doctor Dr Everyone Everybody Folks For Friday From Good Guys Hello Help
Helpdesk Hey Hi His Her How I If In Is It Its Madam Manager Miss Monday Morning Mr Mrs Ms Mx My Nurse No
Not Now Of Office Ok Okay On Or Our Patient Please Prof Professor Regards Saturday Service Sir So Sorry
Staff Still Sunday Support Team Thanks Thank That The Their Them There They This Thursday To Today
Tuesday Us Wednesday We Welcome What When Where Which Who Why Will With Yes You Your Sales Security
Billing Operations Ops IT HR Legal Finance Happy Glad Calling Writing Following Just Very Unfortunately
January February March April May June July August September October November December Tech Technical
Emergency Internal Medicine Cardiology Clinic Hospital Pharmacy Radiology Ward Room Unit
Street St Road Rd Avenue Ave Station Square Park Bridge Hall Plaza Boulevard Drive Court Centre Center
Airport University College School Bank Memorial Valley Hotel Building Tower Gate Terminal Campus Mall
""".split())

FAKE_FIRST = (
    "Alex", "Blake", "Casey", "Dana", "Eden", "Finley", "Gray", "Harper", "Indy", "Jules", "Kai", "Lane",
    "Morgan", "Noor", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum", "Uma", "Vale", "Wren", "Yael",
    "Zion", "Arden", "Bellamy", "Cruz", "Devon", "Ellis", "Frankie", "Greer", "Hollis", "Ira", "Jesse",
    "Kendall", "Lennon", "Marlo", "Nico", "Oren", "Peyton", "Remy", "Sasha", "Toby", "Vesna", "Winter",
)
FAKE_LAST = (
    "Abbott", "Barlow", "Castell", "Dunmore", "Everly", "Fairbanks", "Galloway", "Hartwell", "Ingram",
    "Jarvis", "Kestrel", "Lindqvist", "Merrow", "Northcott", "Okafor", "Pemberton", "Quayle", "Ravel",
    "Sterling", "Thorne", "Underhill", "Voss", "Whitlock", "Yardley", "Zeller", "Ashdown", "Brightwater",
    "Coldridge", "Daventry", "Eastwick", "Fenwick", "Greystone", "Holloway", "Ivers", "Kingsley", "Lockhart",
    "Marchetti", "Nakamura", "Oyelaran", "Petrova", "Rasmussen", "Silva", "Tanaka", "Varga", "Weston",
)
