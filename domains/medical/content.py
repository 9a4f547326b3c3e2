"""Medical content: conditions (clinical and lay wording, findings, medication and dose, advice, red flags),
study findings for context QA, slot pools. Pure data, no logic; every value is made up for training a
demo model and is not medical advice.

Pools are split by index in generator.py (every 5th value is eval-only), templates too (every 4th), so
eval notes, questions and messages never repeat train text.
"""

from __future__ import annotations

# key, clinical name, lay name, presenting complaint, exam finding, drug, dose, frequency, advice, red flag,
# triage level of a typical presentation (emergency / urgent / routine)
CONDITIONS: list[dict[str, str]] = [
    dict(key="htn", name="essential hypertension", lay="high blood pressure", complaint="headaches and a high home BP reading",
         finding="BP 162/98, otherwise unremarkable exam", drug="amlodipine", dose="5 mg", freq="once daily",
         advice="cut down on salt, walk most days and check your blood pressure at home twice a week",
         flag="you get a severe headache, chest pain or blurred vision", triage="routine"),
    dict(key="t2dm", name="type 2 diabetes mellitus", lay="type 2 diabetes", complaint="thirst, frequent urination and fatigue",
         finding="HbA1c 8.4%, BMI 31", drug="metformin", dose="500 mg", freq="twice daily with meals",
         advice="take the tablets with food, keep to regular meals and bring your glucose diary to the next visit",
         flag="you feel very drowsy, confused or are vomiting and cannot keep fluids down", triage="routine"),
    dict(key="cap", name="community-acquired pneumonia", lay="a chest infection (pneumonia)", complaint="fever, productive cough and pleuritic chest pain",
         finding="crackles at the right base, SpO2 94% on room air", drug="amoxicillin", dose="1 g", freq="three times daily for 5 days",
         advice="finish the whole course of antibiotics, rest and drink plenty of fluids",
         flag="you become short of breath at rest or your lips turn blue", triage="urgent"),
    dict(key="uti", name="uncomplicated cystitis", lay="a bladder infection", complaint="dysuria and urinary frequency",
         finding="urine dipstick positive for nitrites and leukocytes", drug="nitrofurantoin", dose="100 mg", freq="twice daily for 5 days",
         advice="drink plenty of water and finish the antibiotics even if you feel better",
         flag="you develop fever, back pain or vomiting", triage="routine"),
    dict(key="asthma", name="asthma exacerbation", lay="an asthma flare-up", complaint="wheeze and shortness of breath at night",
         finding="diffuse expiratory wheeze, peak flow 65% of best", drug="prednisolone", dose="40 mg", freq="once daily for 5 days",
         advice="use your blue reliever inhaler as needed and your preventer inhaler every day",
         flag="your reliever inhaler does not help or you cannot finish a sentence", triage="urgent"),
    dict(key="afib", name="atrial fibrillation", lay="an irregular heartbeat (atrial fibrillation)", complaint="palpitations and light-headedness",
         finding="irregularly irregular pulse at 118 bpm, ECG confirms AF", drug="apixaban", dose="5 mg", freq="twice daily",
         advice="take the blood thinner at the same times every day and do not miss doses",
         flag="you notice face drooping, arm weakness or slurred speech", triage="urgent"),
    dict(key="mi", name="acute coronary syndrome", lay="a possible heart attack", complaint="crushing central chest pain radiating to the left arm",
         finding="ST elevation in leads II, III and aVF, diaphoretic", drug="aspirin", dose="300 mg", freq="once, chewed, then 75 mg daily",
         advice="take all your heart medicines every day and join the cardiac rehabilitation programme",
         flag="the chest pain comes back or lasts more than a few minutes", triage="emergency"),
    dict(key="stroke", name="acute ischaemic stroke", lay="a stroke", complaint="sudden left-sided weakness and slurred speech",
         finding="left facial droop, left arm drift, NIHSS 7", drug="clopidogrel", dose="75 mg", freq="once daily",
         advice="keep taking your blood-thinning tablet and go to every rehabilitation session",
         flag="any new weakness, numbness or trouble speaking starts", triage="emergency"),
    dict(key="migraine", name="migraine without aura", lay="migraine headaches", complaint="recurrent throbbing unilateral headache with nausea",
         finding="normal neurological exam", drug="sumatriptan", dose="50 mg", freq="at onset, may repeat once after 2 hours",
         advice="keep a headache diary and avoid painkillers on more than 10 days a month",
         flag="you have the worst headache of your life or a stiff neck with fever", triage="routine"),
    dict(key="gerd", name="gastro-oesophageal reflux disease", lay="acid reflux", complaint="burning retrosternal pain after meals",
         finding="epigastric tenderness, no weight loss", drug="omeprazole", dose="20 mg", freq="once daily before breakfast",
         advice="avoid late heavy meals, raise the head of your bed and cut down on alcohol",
         flag="you have trouble swallowing, vomit blood or pass black stools", triage="routine"),
    dict(key="hypothyroid", name="primary hypothyroidism", lay="an underactive thyroid", complaint="tiredness, weight gain and feeling cold",
         finding="TSH 11.2 mU/L, free T4 low", drug="levothyroxine", dose="50 micrograms", freq="once daily on an empty stomach",
         advice="take the tablet every morning 30 minutes before food and have a blood test in 6 weeks",
         flag="you get chest pain or a racing heartbeat", triage="routine"),
    dict(key="cellulitis", name="cellulitis of the lower leg", lay="a skin infection (cellulitis)", complaint="a red, hot, swollen shin",
         finding="spreading erythema 10 cm, warm and tender, no fluctuance", drug="flucloxacillin", dose="500 mg", freq="four times daily for 7 days",
         advice="keep the leg raised, mark the edge of the redness and finish the antibiotics",
         flag="the redness spreads quickly or you feel feverish and shivery", triage="urgent"),
    dict(key="dvt", name="deep vein thrombosis", lay="a blood clot in the leg", complaint="a swollen, painful left calf",
         finding="left calf 3 cm larger than right, Wells score 3", drug="rivaroxaban", dose="15 mg", freq="twice daily for 21 days",
         advice="take the blood thinner exactly as prescribed and keep moving your legs",
         flag="you become suddenly short of breath or cough up blood", triage="urgent"),
    dict(key="gastro", name="viral gastroenteritis", lay="a stomach bug", complaint="diarrhoea and vomiting for two days",
         finding="mildly dry mucous membranes, soft non-tender abdomen", drug="oral rehydration salts", dose="200 ml", freq="after each loose stool",
         advice="sip fluids often, wash your hands well and return to normal food as you feel able",
         flag="you cannot keep any fluids down or stop passing urine", triage="routine"),
    dict(key="anaphylaxis", name="anaphylaxis", lay="a severe allergic reaction", complaint="lip swelling, hives and wheeze after eating peanuts",
         finding="stridor, BP 84/50, widespread urticaria", drug="adrenaline", dose="0.5 mg intramuscular", freq="repeat after 5 minutes if needed",
         advice="carry two adrenaline auto-injectors at all times and avoid peanuts",
         flag="your throat feels tight or you feel faint, use your auto-injector and call 911", triage="emergency"),
    dict(key="depression", name="moderate depressive episode", lay="depression", complaint="low mood, poor sleep and loss of interest",
         finding="PHQ-9 score 16, no active suicidal plan", drug="sertraline", dose="50 mg", freq="once daily",
         advice="keep taking the tablets for at least six months and try to keep a daily routine",
         flag="you have thoughts of harming yourself, call the crisis line straight away", triage="urgent"),
    dict(key="copd", name="COPD exacerbation", lay="a COPD flare-up", complaint="more breathlessness and green sputum",
         finding="reduced air entry bilaterally, SpO2 90%", drug="doxycycline", dose="100 mg", freq="once daily for 5 days",
         advice="use your inhalers as prescribed and start your rescue pack early next time",
         flag="you are too breathless to speak or your lips look blue", triage="urgent"),
    dict(key="otitis", name="acute otitis media", lay="a middle ear infection", complaint="ear pain and fever",
         finding="bulging red tympanic membrane", drug="paracetamol", dose="500 mg", freq="every 6 hours as needed",
         advice="most ear infections settle within three days; use pain relief and rest",
         flag="there is swelling behind the ear or a stiff neck", triage="routine"),
    dict(key="gout", name="acute gout", lay="a gout attack", complaint="a hot, swollen big toe joint",
         finding="exquisitely tender first MTP joint, urate 0.52 mmol/L", drug="colchicine", dose="500 micrograms", freq="two to four times daily",
         advice="rest the joint, drink plenty of water and cut down on beer and red meat",
         flag="you get a high fever or more joints swell", triage="routine"),
    dict(key="sepsis", name="sepsis of urinary origin", lay="a serious blood infection (sepsis)", complaint="fever, rigors and confusion",
         finding="temperature 39.4, HR 124, BP 88/56, lactate 4.1", drug="piperacillin-tazobactam", dose="4.5 g", freq="every 8 hours intravenously",
         advice="finish the antibiotics and rest, recovery can take several weeks",
         flag="the fever comes back or you feel confused again", triage="emergency"),
]

# (finding sentence, answer) templates for PubMedQA-style context QA: {exposure} and {outcome} slots.
FINDINGS_YES = [
    "Patients receiving {exposure} had a significantly lower rate of {outcome} than controls (p<0.01).",
    "{exposure} was associated with a marked reduction in {outcome} after adjustment for age and sex.",
    "Compared with usual care, {exposure} reduced {outcome} by 38% over 12 months.",
    "The odds of {outcome} were halved in the {exposure} arm (OR 0.52, 95% CI 0.39-0.70).",
    "We observed a consistent, dose-dependent decrease in {outcome} with {exposure}.",
    "{exposure} clearly lowered the incidence of {outcome} in every subgroup examined.",
    "In this cohort, {exposure} significantly improved {outcome} scores at 6 months.",
    "Use of {exposure} was linked to fewer episodes of {outcome} (HR 0.61, p=0.002).",
]
FINDINGS_NO = [
    "{exposure} did not change the rate of {outcome} compared with placebo (p=0.71).",
    "There was no significant difference in {outcome} between the {exposure} group and controls.",
    "{exposure} failed to reduce {outcome} in the primary analysis.",
    "Rates of {outcome} were similar with and without {exposure} (OR 1.03, 95% CI 0.88-1.21).",
    "We found no association between {exposure} and {outcome} after adjustment.",
    "{exposure} had no measurable effect on {outcome} at any time point.",
    "The trial showed no benefit of {exposure} on {outcome}.",
    "Adding {exposure} did not lower {outcome} in either arm of the study.",
]
FINDINGS_MAYBE = [
    "{exposure} showed a trend towards less {outcome}, but the difference was not significant in all analyses.",
    "Results for {exposure} and {outcome} were mixed: a benefit in one cohort, none in the other.",
    "The effect of {exposure} on {outcome} was uncertain because of small numbers and wide confidence intervals.",
    "{exposure} may reduce {outcome} in some patients, but the evidence remains inconclusive.",
    "A possible benefit of {exposure} on {outcome} was seen only in the subgroup analysis.",
    "Whether {exposure} lowers {outcome} remains unclear; further trials are needed.",
    "Findings on {exposure} and {outcome} were inconsistent across the included studies.",
    "{exposure} was possibly associated with less {outcome}, though confounding could not be excluded.",
]
QUESTIONS = [
    "Does {exposure} reduce {outcome}?",
    "Is {exposure} associated with lower {outcome}?",
    "Can {exposure} prevent {outcome}?",
    "Does {exposure} lower the risk of {outcome}?",
    "Is {exposure} effective against {outcome}?",
    "Do patients given {exposure} have less {outcome}?",
    "Does treatment with {exposure} decrease {outcome}?",
    "Is there a benefit of {exposure} on {outcome}?",
]
BACKGROUND = [
    "{outcome} is a common cause of hospital admission in older adults.",
    "{outcome} remains a major burden for patients and health systems.",
    "Little is known about modifiable risk factors for {outcome}.",
    "Previous studies of {exposure} were small and used different definitions.",
    "{exposure} is widely used, but its effect on {outcome} is debated.",
    "The aim of this study was to assess {exposure} in routine practice.",
]
METHODS = [
    "We conducted a randomised controlled trial in {n} adults at {k} hospitals.",
    "This retrospective cohort study included {n} patients from {k} primary care practices.",
    "We performed a prospective observational study of {n} consecutive patients.",
    "A multicentre trial enrolled {n} participants across {k} sites.",
    "We analysed registry data on {n} patients treated between 2015 and 2021.",
]
EXPOSURES = [
    "vitamin D supplementation", "early mobilisation", "a structured exercise programme", "telephone follow-up",
    "home blood pressure monitoring", "nurse-led education", "a Mediterranean diet", "smoking cessation counselling",
    "statin therapy", "daily low-dose aspirin", "influenza vaccination", "a pharmacist medication review",
    "compression stockings", "cognitive behavioural therapy", "a falls prevention class", "omega-3 supplements",
    "text message reminders", "weight loss surgery", "probiotic drinks", "an inhaler technique check",
    "physiotherapy", "a low-salt diet", "continuous glucose monitoring", "early antibiotic review",
    "a community walking group",
]
OUTCOMES = [
    "hospital readmission", "hip fracture", "postoperative delirium", "falls", "stroke", "cardiovascular events",
    "asthma attacks", "depressive symptoms", "blood pressure", "HbA1c", "wound infection", "length of stay",
    "emergency visits", "pressure ulcers", "medication errors", "COPD exacerbations", "chronic back pain",
    "all-cause mortality", "catheter infections", "missed appointments",
]

STREETS = ["Maple Street", "Oak Avenue", "Cedar Lane", "Elm Road", "Birch Drive", "Willow Way", "Pine Street",
           "Harbor Road", "Chestnut Avenue", "Meadow Lane", "Station Road", "Hillcrest Drive", "Park Avenue",
           "Church Street", "Mill Lane", "Lakeview Drive", "King Street", "Orchard Road", "Riverside Drive",
           "Sunset Boulevard"]
CITIES = ["Springfield, IL", "Riverton, WY", "Fairview, OR", "Madison, WI", "Greenville, SC", "Franklin, TN",
          "Salem, MA", "Clinton, IA", "Georgetown, TX", "Bristol, CT"]
FIRST = ["Maria", "John", "Aisha", "David", "Priya", "Michael", "Sarah", "James", "Fatima", "Robert", "Linda",
         "Daniel", "Emily", "Ahmed", "Laura", "Thomas", "Grace", "Kevin", "Anna", "Carlos", "Helen", "Peter",
         "Sofia", "Mark", "Rachel", "Paul", "Nina", "George", "Olivia", "Brian", "Julia", "Samuel", "Chloe",
         "Victor", "Hannah"]
LAST = ["Lopez", "Smith", "Khan", "Brown", "Patel", "Johnson", "Nguyen", "Miller", "Garcia", "Wilson", "Davis",
        "Chen", "Martin", "Clark", "Lewis", "Walker", "Young", "Hall", "Allen", "Wright", "Scott", "Green",
        "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans",
        "Turner", "Torres", "Parker"]
CLINICIANS = ["Dr. Okafor", "Dr. Lindqvist", "Dr. Ramirez", "Dr. Haddad", "Dr. Kowalski", "Dr. Brennan",
              "Dr. Sato", "Dr. Mensah", "Dr. Fischer", "Dr. Duarte"]
SITES = ["Northgate Family Practice", "St. Brigid's Hospital", "Riverside Medical Center", "Lakeside Clinic",
         "Mercy General Hospital"]
