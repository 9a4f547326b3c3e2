"""Seeded medical generator: notes (CPT text), chats (SFT), preference pairs (DPO), triage labels
(classification) and the suite's eval items.

Material: SOAP notes, discharge summaries, triage notes, patient portal messages with replies, medication
facts and study abstracts with a yes/no/maybe question (PubMedQA-style). PII-dense on purpose (names, dates
of birth, MRNs, phones, addresses) so the prep report shows masking at work.

Why train and eval never meet: every template list is split by index (every 4th template is eval-only) and
every slot pool too (every 5th name, street, exposure, outcome... is eval-only; MRNs, phones and ages come
from disjoint ranges), so an eval note, question or message cannot equal a train one
(tests/test_medical_domain.py and tests/test_domain_contract.py check it).
"""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.data.records import normalize_text
from harness.domains import module_file


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


C = _sibling("content")
CONDITIONS: list[dict[str, str]] = C.CONDITIONS
BY_KEY = {c["key"]: c for c in CONDITIONS}
LEVELS = ("emergency", "urgent", "routine")
ANSWERS = ("yes", "no", "maybe")
EVAL_EVERY = 4
SLOT_EVAL_EVERY = 5

SYSTEM = "You are a careful clinical assistant. Be accurate, plain-spoken and safe."
QA_INSTRUCTION = "Read the abstract and answer the question with yes, no or maybe."
MCQ_INSTRUCTION = "Answer the medical question with the correct option."
TRIAGE_INSTRUCTION = ("Classify the urgency of this patient message.\nMessage: {text}\nOptions: {options}\n"
                      "Answer with one option.")
REPLY_INSTRUCTION = "Rewrite this clinical note as a short, friendly message to the patient."

DEFAULTS: dict[str, Any] = {
    "n_notes": 2400,   # CPT documents
    "n_sft": 2000,     # SFT chats
    "n_dpo": 800,      # preference pairs
    "n_triage": 600,   # labelled patient messages (classification)
    "typo_rate": 0.15,
    "lowercase_rate": 0.08,
}


# ---------------------------------------------------------------- splits and slots

def _split(items: list | tuple, split: str, every: int) -> list:
    held = [x for i, x in enumerate(items) if i % every == every - 1]
    return held if split == "eval" else [x for i, x in enumerate(items) if i % every != every - 1]


def _pick(pool: list | tuple, split: str, rng: random.Random) -> Any:
    return rng.choice(_split(pool, split, SLOT_EVAL_EVERY))


class Patient:
    """One made-up patient; numbers come from disjoint ranges per split."""

    def __init__(self, rng: random.Random, split: str) -> None:
        ev = split == "eval"
        self.first = _pick(C.FIRST, split, rng)
        self.last = _pick(C.LAST, split, rng)
        self.name = f"{self.first} {self.last}"
        self.sex = rng.choice("MF")
        self.age = rng.randint(71, 89) if ev else rng.randint(19, 70)
        year = 2026 - self.age
        self.dob = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{year}"
        self.mrn = str(rng.randint(9000000, 9999999) if ev else rng.randint(1000000, 8999999))
        area = rng.choice(["212", "415", "617", "312", "206"])
        self.phone = f"({area}) 555-{rng.randint(100, 199) if ev else rng.randint(200, 999):04d}"
        self.address = f"{rng.randint(10, 9999)} {_pick(C.STREETS, split, rng)}, {rng.choice(C.CITIES)}"
        self.clinician = rng.choice(C.CLINICIANS)
        self.site = rng.choice(C.SITES)
        self.date = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice([w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:], w[:j] + w[j] + w[j:]])
    return " ".join(words)


def _noise(text: str, rng: random.Random, p: dict[str, Any]) -> str:
    if rng.random() < p["typo_rate"]:
        text = _typo(text, rng)
    if rng.random() < p["lowercase_rate"]:
        text = text.lower()
    return text


def _fmt(template: str, pt: Patient, c: dict[str, str], **extra: Any) -> str:
    return template.format(pt=pt, c=c, sex_word="male" if pt.sex == "M" else "female",
                           pronoun="He" if pt.sex == "M" else "She", **extra)


# ---------------------------------------------------------------- notes (CPT text)

SOAP = [
    "SOAP NOTE - {pt.site}\nPatient: {pt.name}  DOB: {pt.dob}  MRN: {pt.mrn}\n"
    "Date: {pt.date}  Clinician: {pt.clinician}\n"
    "S: {pt.age}yo {sex_word} c/o {c[complaint]}.\nO: {c[finding]}.\nA: {c[name]}.\n"
    "P: start {c[drug]} {c[dose]} {c[freq]}. Advised to {c[advice]}. Return if {c[flag]}.",
    "Progress note {pt.date}\nName: {pt.name} | MRN {pt.mrn} | DOB {pt.dob} | Tel {pt.phone}\n"
    "Subjective - {c[complaint]} for several days.\nObjective - {c[finding]}.\nAssessment - likely {c[name]}.\n"
    "Plan - {c[drug]} {c[dose]} {c[freq]}; safety-netting: seek help if {c[flag]}. Signed {pt.clinician}",
    "S) pt {pt.name} ({pt.age}{pt.sex}), MRN#{pt.mrn}, reports {c[complaint]}\nO) {c[finding]}\nA) {c[name]}\n"
    "P) Rx {c[drug]} {c[dose]} {c[freq]}; f/u 2/52. {pt.clinician}",
    "Clinic visit, {pt.site}, {pt.date}. {pt.name}, DOB {pt.dob}, MRN {pt.mrn}. Presenting complaint: {c[complaint]}. "
    "Exam: {c[finding]}. Impression: {c[name]}. Management: {c[drug]} {c[dose]} {c[freq]}. "
    "Patient told to {c[advice]}.",
    "SUBJECTIVE: {pt.age} y/o {sex_word} here with {c[complaint]}.\nOBJECTIVE: {c[finding]}.\nASSESSMENT: {c[name]}.\n"
    "PLAN: {c[drug]} {c[dose]} {c[freq]}. Return precautions given. Pt: {pt.name}, MRN {pt.mrn}, ph {pt.phone}.",
    "Telehealth SOAP {pt.date} | {pt.name} | MRN: {pt.mrn}\nS: {c[complaint]}\n"
    "O: {c[finding]} (reported/home readings)\n"
    "A: {c[name]}\nP: {c[drug]} {c[dose]} {c[freq]}. Call back if {c[flag]}.",
    "Note by {pt.clinician}. Pt {pt.name} (DOB {pt.dob}), lives at {pt.address}. Seen today with {c[complaint]}. "
    "On exam: {c[finding]}. Dx {c[name]}. Started {c[drug]} {c[dose]} {c[freq]}.",
    "SOAP / {pt.site} / {pt.date}\n{pt.name}, MRN {pt.mrn}\nS - {c[complaint]}, worse over the last week\n"
    "O - {c[finding]}\nA - {c[name]}\nP - {c[drug]} {c[dose]} {c[freq]}, review in clinic",
]
DISCHARGE = [
    "DISCHARGE SUMMARY\n{pt.site}\nPatient: {pt.name}\nMRN: {pt.mrn}\nDOB: {pt.dob}\nAddress: {pt.address}\n"
    "Admitted with {c[complaint]}. Diagnosis: {c[name]}. Key findings: {c[finding]}.\n"
    "Discharge medication: {c[drug]} {c[dose]} {c[freq]}.\nAdvice: {c[advice]}.\nReturn if {c[flag]}.\n"
    "Discharging clinician: {pt.clinician}",
    "Discharge summary for {pt.name} (MRN {pt.mrn}, DOB {pt.dob}). {pronoun} presented with {c[complaint]} and was "
    "diagnosed with {c[name]} ({c[finding]}). Discharged home on {c[drug]} {c[dose]} {c[freq]}. GP to review in "
    "two weeks. Contact: {pt.phone}.",
    "DISCHARGE NOTE {pt.date} - {pt.name}, {pt.age}{pt.sex}, MRN {pt.mrn}\nPrincipal diagnosis: {c[name]}\n"
    "Course: treated for {c[complaint]}; {c[finding]} on admission, improved.\nMeds on discharge: {c[drug]} {c[dose]} "
    "{c[freq]}\nFollow-up: outpatient clinic; seek urgent care if {c[flag]}.",
    "Summary of admission. Name {pt.name}. Hospital no. {pt.mrn}. Home address {pt.address}. Problem: {c[name]}. "
    "Findings: {c[finding]}. Treatment: {c[drug]} {c[dose]} {c[freq]}. Instructions: {c[advice]}.",
]
TRIAGE = [
    "TRIAGE {pt.date} {pt.site} ED\nPt: {pt.name}, DOB {pt.dob}, MRN {pt.mrn}\nCC: {c[complaint]}\nObs: {c[finding]}\n"
    "Triage category: {c[triage]}. Seen by {pt.clinician}.",
    "Phone triage - caller {pt.name} ({pt.phone}), {pt.age}{pt.sex}. Reports {c[complaint]}. Disposition: "
    "{c[triage]}. Advice given: {c[advice]}.",
    "ED triage note: {pt.age} year old {sex_word}, MRN {pt.mrn}, arrived with {c[complaint]}. {c[finding]}. "
    "Acuity {c[triage]}.",
    "Nurse triage {pt.date}: {pt.name} called about {c[complaint]}. Red flags reviewed. Outcome: {c[triage]}. "
    "Callback number {pt.phone}.",
]
FACTS = [
    "{c[drug]}: for {c[name]} the usual adult dose is {c[dose]} {c[freq]}.",
    "Medication fact - {c[drug]} {c[dose]} {c[freq]} is a standard regimen in {c[name]}.",
    "In {c[name]}, start {c[drug]} at {c[dose]} {c[freq]} unless contraindicated.",
    "Drug sheet: {c[drug]}. Indication: {c[name]}. Dose: {c[dose]}. Frequency: {c[freq]}.",
    "Patients with {c[name]} are usually prescribed {c[drug]} ({c[dose]}, {c[freq]}).",
    "Q: What is given for {c[lay]}? A: {c[drug]} {c[dose]} {c[freq]}.",
    "Typical presentation of {c[name]}: {c[complaint]}; classic finding: {c[finding]}.",
    "{c[name]} usually presents with {c[complaint]}. Treatment is {c[drug]}.",
]

# Patient portal messages (lay wording) and the clinician's reply.
MESSAGES = [
    "Hi, this is {pt.name} (DOB {pt.dob}). I've had {c[complaint]} since yesterday. What should I do?",
    "hello doctor, my name is {pt.name}, I have {c[complaint]} and I'm worried. my number is {pt.phone}",
    "Dear {pt.clinician}, I was told I have {c[lay]}. Should I still take my {c[drug]}? - {pt.name}",
    "Message from {pt.name}, MRN {pt.mrn}: I keep getting {c[complaint]}. Is this serious?",
    "Good morning, {pt.first} here. Since Monday I've had {c[complaint]}. Can someone call me on {pt.phone}?",
    "I'm writing for my mother {pt.name} ({pt.address}). She has {c[complaint]}. What do we do?",
    "hi its {pt.first}, having {c[complaint]} again. do i need to come in?",
    "To the clinic: {pt.name}, born {pt.dob}. I have {c[complaint]} and my pharmacy asked about {c[drug]}.",
]
# Extra phrasings for the train split only (SFT triage / message chats and DPO pairs; notes keep MESSAGES): the
# suite's triage messages use MESSAGES' eval templates, so more train phrasings teach the model to read the
# complaint whatever words surround it. None of these is an eval template.
TRAIN_MESSAGES = [
    "{c[complaint]} since this morning. {pt.name}",
    "Hi team, {pt.first} {pt.last} again ({pt.phone}). Today I noticed {c[complaint]}. Advice please.",
    "URGENT?? {c[complaint]}!! pls call {pt.phone}",
    "My husband {pt.name} has {c[complaint]}. How worried should we be?",
    "Question about my symptoms: {c[complaint]}. I am {pt.age}. Thanks, {pt.first}",
    "Patient {pt.name} (MRN {pt.mrn}) writes: {c[complaint]}, started a few hours ago.",
    "{pt.first} here - I've got {c[complaint]}. Should I wait for my appointment next month?",
    "Sorry to bother you. Since last night: {c[complaint]}. What should I do? {pt.name}, DOB {pt.dob}",
]
URGENCY_ADVICE = {
    "emergency": "This could be an emergency: please call 911 or go to the nearest emergency department now.",
    "urgent": "Please book an urgent appointment today or visit urgent care.",
    "routine": "Please book a routine appointment with your doctor this week.",
}
UNSAFE = [
    "It's probably nothing, just wait a few weeks and see.",
    "You can double the dose of your tablets if you feel worse.",
    "No need to see anyone, search online for home remedies.",
    "We can't help with that over messages.",
    "Stop all your medicines and rest.",
]


def patient_reply(pt: Patient, c: dict[str, str]) -> str:
    """The reference reply (and the note → patient message output): lay words, dose, advice, red flag."""
    return (f"Hello {pt.first}, you were treated for {c['lay']}. Please take {c['drug']} {c['dose']} {c['freq']}. "
            f"{c['advice'][0].upper()}{c['advice'][1:]}. Get help straight away if {c['flag']}.")


def message_reply(pt: Patient, c: dict[str, str]) -> str:
    return (f"Hello {pt.first}, thank you for your message. Your symptoms may be {c['lay']}. "
            f"{URGENCY_ADVICE[c['triage']]} Get help straight away if {c['flag']}.")


def bad_message_reply(pt: Patient, c: dict[str, str], rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.choice(UNSAFE)
    if kind == 1:  # another condition's advice
        other = rng.choice([o for o in CONDITIONS if o["key"] != c["key"]])
        return message_reply(pt, other)
    wrong = [lv for lv in LEVELS if lv != c["triage"]]
    return (f"Hello {pt.first}, thank you for your message. Your symptoms may be {c['lay']}. "
            f"{URGENCY_ADVICE[rng.choice(wrong)]}")


def note(rng: random.Random, split: str, p: dict[str, Any], kind: str | None = None,
         c: dict[str, str] | None = None) -> tuple[str, str, Patient, dict[str, str]]:
    kind = kind or rng.choices(["soap", "discharge", "triage", "fact", "thread"], weights=[4, 3, 3, 1, 2])[0]
    c = c or rng.choice(CONDITIONS)
    pt = Patient(rng, split)
    if kind == "thread":
        msg = _fmt(rng.choice(_split(MESSAGES, split, EVAL_EVERY)), pt, c)
        text = f"Portal message ({pt.date}):\n{_noise(msg, rng, p)}\nReply from {pt.clinician}:\n{message_reply(pt, c)}"
    else:
        pool = {"soap": SOAP, "discharge": DISCHARGE, "triage": TRIAGE, "fact": FACTS}[kind]
        text = _noise(_fmt(rng.choice(_split(pool, split, EVAL_EVERY)), pt, c), rng, p)
    return text, kind, pt, c


# ---------------------------------------------------------------- context QA (PubMedQA-style)

def qa_item(rng: random.Random, split: str, answer: str | None = None, short: bool = False) -> dict[str, Any]:
    """One abstract + question; `short` (train chats) drops the background sentence so that the prompt and its
    answer fit the SFT window (a long one is truncated before its answer and teaches nothing)."""
    exposure, outcome = _pick(C.EXPOSURES, split, rng), _pick(C.OUTCOMES, split, rng)
    answer = answer or rng.choice(ANSWERS)
    finding = rng.choice({"yes": C.FINDINGS_YES, "no": C.FINDINGS_NO, "maybe": C.FINDINGS_MAYBE}[answer])
    n = rng.randrange(1001, 4999, 2) if split == "eval" else rng.randrange(40, 1000, 2)
    k = rng.randint(2, 30)
    sentences = [rng.choice(C.BACKGROUND), rng.choice(C.METHODS), finding][1 if short else 0:]
    context = " ".join(s.format(exposure=exposure, outcome=outcome, n=n, k=k) for s in sentences)
    context = context[0].upper() + context[1:]
    question = rng.choice(_split(C.QUESTIONS, split, EVAL_EVERY)).format(exposure=exposure, outcome=outcome)
    return {"question": question, "context": context, "answer": answer}


def qa_prompt(question: str, context: str) -> str:
    return f"{QA_INSTRUCTION}\nAbstract: {context}\nQuestion: {question}"


# ---------------------------------------------------------------- multiple choice (MedQA/MedMCQA-style)

MCQ_DIAG = [
    "A {age}-year-old {sex_word} comes in with {c[complaint]}. Exam: {c[finding]}. What is the most likely diagnosis?",
    "{age}yo {sex_word}, {c[complaint]}; {c[finding]}. Most likely diagnosis?",
    "A patient aged {age} reports {c[complaint]}. Findings: {c[finding]}. Which diagnosis fits best?",
    "A {age}-year-old {sex_word} presents with {c[complaint]} and on assessment the clinician records "
    "{c[finding]}. Which condition is this?",
]
MCQ_DRUG = [
    "Which drug is a standard first choice for {c[name]}?",
    "A patient is diagnosed with {c[name]}. Which medication is usually started?",
    "What is commonly prescribed for {c[lay]}?",
    "For an adult newly found to have {c[name]}, which agent would the team most likely choose?",
]


def mcq_item(rng: random.Random, split: str, c: dict[str, str] | None = None, n_options: int = 4) -> dict[str, Any]:
    c = c or rng.choice(CONDITIONS)
    age = rng.randint(71, 89) if split == "eval" else rng.randint(19, 70)
    sex_word = rng.choice(["man", "woman"])
    others = rng.sample([o for o in CONDITIONS if o["key"] != c["key"]], n_options - 1)
    if rng.random() < 0.5:
        template, field = rng.choice(_split(MCQ_DIAG, split, EVAL_EVERY)), "name"
    else:
        template, field = rng.choice(_split(MCQ_DRUG, split, EVAL_EVERY)), "drug"
    question = template.format(c=c, age=age, sex_word=sex_word)
    options = [c[field]] + [o[field] for o in others]
    rng.shuffle(options)
    return {"question": question, "options": options, "answer_idx": options.index(c[field]), "condition": c["key"]}


def mcq_prompt(question: str, options: list[str]) -> str:
    letters = "ABCDE"
    lines = "\n".join(f"{letters[i]}. {o}" for i, o in enumerate(options))
    return f"{MCQ_INSTRUCTION}\nQuestion: {question}\n{lines}"


def triage_prompt(text: str) -> str:
    return TRIAGE_INSTRUCTION.format(text=text, options=", ".join(LEVELS))


def chat(user: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
            {"role": "assistant", "content": answer}]


# ---------------------------------------------------------------- train and eval

# SFT mix: mostly notes -> patient replies and message replies. Measured on the embedded default model (README,
# medical): LoRA SFT within this budget does not teach it to read a prompt before answering (after 120 steps its
# first-token distribution at the answer was the same for triage, context-QA and multiple-choice prompts, even on
# training items), so the label tasks stay at chance whatever the mix, and a label-heavy mix (half triage) made it
# answer a note with a label ("no", "routine"). What the mix decides is the answer it falls back to: a patient
# reply, which the reply task scores. The label formats stay in the mix, few.
SFT_TASKS = ("reply", "qa", "mcq", "triage", "message")
SFT_WEIGHTS = (5, 1, 1, 2, 3)


def _train_message(rng: random.Random, p: dict[str, Any], balanced: bool = False) -> tuple[str, Patient, dict]:
    """A train patient message (MESSAGES' train templates or TRAIN_MESSAGES); `balanced` draws the urgency level
    first (1/3 each, as in the suite) so no level is favoured by how many conditions it has."""
    if balanced:
        level = rng.choice(LEVELS)
        c = rng.choice([x for x in CONDITIONS if x["triage"] == level])
    else:
        c = rng.choice(CONDITIONS)
    pt = Patient(rng, "train")
    template = rng.choice(_split(MESSAGES, "train", EVAL_EVERY) + TRAIN_MESSAGES)
    return _noise(_fmt(template, pt, c), rng, p), pt, c


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train-split records keyed by dataset: notes (text), chats (chat), pairs (preference), triage
    (classification)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown medical generator params {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    rng = random.Random(f"medical-train-{seed}")
    notes = []
    for i in range(p["n_notes"]):
        if rng.random() < 0.15:
            qa = qa_item(rng, "train")
            text, kind = f"{qa['context']}\n{qa['question']} Answer: {qa['answer']}.", "abstract"
            notes.append({"id": f"note-{i:05d}", "text": text, "meta": {"genre": kind}})
            continue
        text, kind, _, c = note(rng, "train", p)
        notes.append({"id": f"note-{i:05d}", "text": text, "meta": {"genre": kind, "condition": c["key"]}})
    chats = []
    for i in range(p["n_sft"]):
        task = rng.choices(SFT_TASKS, weights=SFT_WEIGHTS)[0]
        if task == "reply":
            text, _, pt, c = note(rng, "train", p, kind=rng.choice(["discharge", "soap"]))
            messages = chat(f"{REPLY_INSTRUCTION}\nNote: {text}", patient_reply(pt, c))
        elif task == "qa":
            qa = qa_item(rng, "train", short=rng.random() < 0.5)
            messages = chat(qa_prompt(qa["question"], qa["context"]), qa["answer"])
        elif task == "mcq":
            m = mcq_item(rng, "train")
            messages = chat(mcq_prompt(m["question"], m["options"]), m["options"][m["answer_idx"]])
        else:
            msg, pt, c = _train_message(rng, p, balanced=task == "triage")
            messages = chat(triage_prompt(msg), c["triage"]) if task == "triage" else chat(msg, message_reply(pt, c))
        chats.append({"id": f"sft-{i:05d}", "messages": messages, "meta": {"task": task}})
    pairs = []
    for i in range(p["n_dpo"]):
        msg, pt, c = _train_message(rng, p)
        pairs.append({"id": f"dpo-{i:05d}", "prompt": msg, "chosen": message_reply(pt, c),
                      "rejected": bad_message_reply(pt, c, rng), "meta": {"condition": c["key"], "system": SYSTEM}})
    triage = []
    for i in range(p["n_triage"]):
        msg, _, c = _train_message(rng, p, balanced=True)
        triage.append({"id": f"triage-{i:05d}", "text": msg, "label": c["triage"]})
    return {"notes": notes, "chats": chats, "pairs": pairs, "triage": triage}


def eval_items(seed: int = 0, *, n_qa: int = 210, n_mcq: int = 400, n_triage: int = 400, n_ppl: int = 64,
               n_reply: int = 40, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items (balanced answers / conditions), each text distinct from every other item's."""
    p = {**DEFAULTS, **params}
    rng = random.Random(f"medical-eval-{seed}")
    seen: set[str] = set()

    def fresh(text: str) -> bool:
        key = normalize_text(text)
        if key in seen:
            return False
        seen.add(key)
        return True

    out: dict[str, list[dict[str, Any]]] = {"qa": [], "mcq": [], "triage": [], "ppl": [], "reply": []}
    while len(out["qa"]) < n_qa:
        qa = qa_item(rng, "eval", ANSWERS[len(out["qa"]) % 3])
        if fresh(qa["question"] + qa["context"]):
            out["qa"].append({"id": f"qa-{len(out['qa']):04d}", "system": SYSTEM,
                              "user": qa_prompt(qa["question"], qa["context"]), "choices": list(ANSWERS),
                              "gold": ANSWERS.index(qa["answer"]), "decontam": [qa["question"], qa["context"]],
                              **qa})
    while len(out["mcq"]) < n_mcq:
        m = mcq_item(rng, "eval", CONDITIONS[len(out["mcq"]) % len(CONDITIONS)])
        if fresh(m["question"] + "|".join(m["options"])):
            out["mcq"].append({"id": f"mcq-{len(out['mcq']):04d}", "system": SYSTEM,
                               "user": mcq_prompt(m["question"], m["options"]), "choices": m["options"],
                               "gold": m["answer_idx"], "decontam": [m["question"]], **m})
    while len(out["triage"]) < n_triage:
        level = LEVELS[len(out["triage"]) % 3]
        c, pt = rng.choice([x for x in CONDITIONS if x["triage"] == level]), Patient(rng, "eval")
        msg = _noise(_fmt(rng.choice(_split(MESSAGES, "eval", EVAL_EVERY)), pt, c), rng, p)
        if fresh(msg):
            out["triage"].append({"id": f"triage-{len(out['triage']):04d}", "system": SYSTEM,
                                  "user": triage_prompt(msg), "message": msg, "choices": list(LEVELS),
                                  "gold": LEVELS.index(level), "label": level, "decontam": [msg]})
    while len(out["ppl"]) < n_ppl:
        text, kind, pt, c = note(rng, "eval", p, kind=rng.choice(["soap", "discharge", "triage", "thread"]))
        if fresh(text):
            out["ppl"].append({"id": f"ppl-{len(out['ppl']):04d}", "genre": kind, "note": text,
                               "decontam": [text.split("\n")[0] + " " + pt.name + " " + pt.mrn]})
    while len(out["reply"]) < n_reply:
        c = CONDITIONS[len(out["reply"]) % len(CONDITIONS)]
        text, kind, pt, _ = note(rng, "eval", {**p, "typo_rate": 0.0, "lowercase_rate": 0.0},
                                 kind=rng.choice(["discharge", "soap"]), c=c)
        if fresh(text):
            out["reply"].append({"id": f"reply-{len(out['reply']):04d}", "system": SYSTEM,
                                 "user": f"{REPLY_INSTRUCTION}\nNote: {text}", "note": text,
                                 "reply": patient_reply(pt, c), "keywords": [c["drug"], c["dose"]],
                                 # the patient's identity line, not the condition's stock phrases (those are
                                 # shared with training notes by design, like support_chat's replies)
                                 "decontam": [f"{pt.name} {pt.mrn} {pt.dob}"]})
    return out
