"""A misunderstood message turned into a change of the repo's files, reviewed like code.

The kb and the NLU training data are files in the repo, so the review loop never stores a training
example or an article in the database. A supervisor proposes (a) a training example (the message and
the intent it should have had) or (b) a new kb article draft with its question variants. Each proposal
is a folder of the review workspace (`var/review/proposals/<id>/`, the id made here): `fragment.yml`
(what is added), `change.diff` (a unified diff against the repo files it changes) and `proposal.json`
(who, when, status, validation output).

Validation applies the change to a scratch copy of `kb/`, `data/`, `domain/` and `config.yml` (inside
the workspace) and runs the kb check and `rasa data validate --fail-on-warnings` there. Approval writes
the change into the repo's own files (`data/nlu/reviewed_examples.yml`; `kb/articles/<topic>.yml`),
only if those files are still what was validated; a developer then reviews it with `git diff`, commits,
and retrains the model. Any supervisor may approve, the proposer included: the commit is the second
pair of eyes, and the audit log names both.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from bot.common.settings import PROJECT_ROOT
from bot.kb.check import check_kb
from bot.kb.citations import UNVERIFIED_NOTICE
from bot.kb.models import Topic

EXAMPLES_FILE = "data/nlu/reviewed_examples.yml"
ARTICLES_DIR = "kb/articles"
COPIED = ("kb", "data", "domain")
COPIED_FILES = ("config.yml",)
# A new article is due for its first review this long after the draft.
FIRST_REVIEW_AFTER = timedelta(days=180)
VALIDATE_TIMEOUT_SECONDS = 180
OUTPUT_LIMIT = 6000
TEXT_MAX_CHARS = 200
_ID = re.compile(r"^[0-9a-f]{12}$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]{0,63}(/[a-z][a-z0-9_]{0,63})?$")
_ARTICLE_ID = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXAMPLES_HEADER = (
    "# Training examples added through the supervisors' review loop (bot/services/review_proposals.py):\n"
    "# each was a customer message the bot misunderstood, proposed with the intent it should have had,\n"
    "# validated (kb check, rasa data validate) and approved. Review with git diff before committing;\n"
    "# the model learns them only when retrained (make train).\n"
)
_lock = threading.Lock()


class UnknownProposal(LookupError):
    pass


class InvalidProposal(ValueError):
    pass


class ProposalRefused(RuntimeError):
    """The proposal cannot be approved (not validated, already approved, or the files changed since)."""


@dataclass(frozen=True)
class ReviewFiles:
    """`root`: the repo whose kb/data files a proposal changes; `workspace`: where proposals live."""

    root: Path
    workspace: Path

    @classmethod
    def of_project(cls) -> "ReviewFiles":
        return cls(PROJECT_ROOT, PROJECT_ROOT / "var" / "review")

    def proposal_dir(self, proposal_id: str) -> Path:
        if not isinstance(proposal_id, str) or not _ID.match(proposal_id):
            raise UnknownProposal(proposal_id)
        return self.workspace / "proposals" / proposal_id


@dataclass(frozen=True)
class ArticleDraft:
    id: str
    topic: str
    title: str
    answer: str
    short: str
    source: str
    effective: date
    questions: List[str]
    verified: bool = False  # the answer has been checked against the cited document


@dataclass
class Proposal:
    id: str
    kind: str  # example / article
    proposed_by: str
    proposed_at: str
    status: str  # validated / failed / approved
    summary: str
    files: List[str]
    base: Dict[str, Optional[str]]  # file → sha256 of the content validated against (None: new file)
    validation: Dict[str, Any] = field(default_factory=dict)
    origin: Dict[str, Any] = field(default_factory=dict)
    approved_by: Optional[str] = None
    approved_at: Optional[str] = None
    diff: str = ""
    fragment: str = ""
    retrain_needed: bool = True


# ---------------------------------------------------------------- building the change


def _one_line(value: Any, what: str, limit: int = TEXT_MAX_CHARS) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value.strip() or len(value.strip()) > limit:
        raise InvalidProposal(f"{what}: one line of 1 to {limit} characters")
    return value.strip()


def _read(path: Path) -> Optional[str]:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _digest(text: Optional[str]) -> Optional[str]:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None


def _examples_blocks(text: Optional[str]) -> List[Dict[str, Any]]:
    """(intent, examples) of the reviewed examples file, in file order."""
    if not text:
        return []
    loaded = yaml.safe_load(text) or {}
    blocks = []
    for entry in loaded.get("nlu") or []:
        examples = [line[2:].strip() for line in str(entry.get("examples") or "").splitlines() if line.startswith("- ")]
        blocks.append({"intent": entry["intent"], "examples": examples})
    return blocks


def _render_examples(blocks: List[Dict[str, Any]]) -> str:
    lines = [EXAMPLES_HEADER.rstrip("\n"), 'version: "3.1"', "nlu:"]
    for block in blocks:
        lines += [f"- intent: {block['intent']}", "  examples: |"] + [f"    - {e}" for e in block["examples"]]
    return "\n".join(lines) + "\n"


def _with_examples(current: Optional[str], intent: str, texts: List[str]) -> str:
    blocks = _examples_blocks(current)
    block = next((b for b in blocks if b["intent"] == intent), None)
    if block is None:
        block = {"intent": intent, "examples": []}
        blocks.append(block)
    for text in texts:
        if text in block["examples"]:
            raise InvalidProposal(f"{text!r} is already a reviewed example of {intent}")
        block["examples"].append(text)
    return _render_examples(blocks)


def _article_yaml(draft: ArticleDraft, proposal_id: str, actor: str, today: date) -> str:
    record: Dict[str, Any] = {"id": draft.id, "topic": draft.topic, "title": draft.title, "answer": draft.answer,
                              "short": draft.short, "source": draft.source, "effective": draft.effective}
    if not draft.verified:
        record["verified"] = False
    record |= {"reviewed": today, "review_by": today + FIRST_REVIEW_AFTER}
    body = yaml.safe_dump([record], allow_unicode=True, sort_keys=False, width=100000)
    note = (f"# draft from the review loop (proposal {proposal_id}, {actor}, {today.isoformat()}): "
            + ("checked against the source by the proposer" if draft.verified
               else "not yet checked against the source (verified: false)") + ".\n")
    return note + body


def example_change(root: Path, text: Any, intent: Any) -> Dict[str, str]:
    text, intent = _one_line(text, "text"), _one_line(intent, "intent", 128)
    if not _INTENT.match(intent):
        raise InvalidProposal("intent: a name such as ask_fees or faq/stamp_duty")
    return {EXAMPLES_FILE: _with_examples(_read(root / EXAMPLES_FILE), intent, [text])}


def article_draft(values: Dict[str, Any]) -> ArticleDraft:
    article_id = values.get("id")
    if not isinstance(article_id, str) or not _ARTICLE_ID.match(article_id):
        raise InvalidProposal("id: 2 to 48 lower-case letters, digits and _, starting with a letter")
    try:
        topic = Topic(values.get("topic")).value
    except ValueError:
        raise InvalidProposal("topic: one of " + ", ".join(t.value for t in Topic))
    try:
        effective = date.fromisoformat(str(values.get("effective")))
    except ValueError:
        raise InvalidProposal("effective: a date (YYYY-MM-DD)")
    questions = values.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= 20:
        raise InvalidProposal("questions: 1 to 20 ways a customer asks it")
    verified = values.get("verified", False)
    if not isinstance(verified, bool):
        raise InvalidProposal("verified: true or false")
    answer = _one_line(values.get("answer"), "answer", 1000)
    if not verified and UNVERIFIED_NOTICE not in answer:
        # The kb's own rule for an unchecked fact: the customer is told to rely on the latest notice.
        answer = f"{answer.rstrip('。')}，{UNVERIFIED_NOTICE}。"
    return ArticleDraft(article_id, topic, _one_line(values.get("title"), "title", 60), answer,
                        _one_line(values.get("short"), "short", 60), _one_line(values.get("source"), "source"),
                        effective, [_one_line(q, "question") for q in questions], verified)


def article_change(root: Path, draft: ArticleDraft, proposal_id: str, actor: str, today: date) -> Dict[str, str]:
    target = f"{ARTICLES_DIR}/{draft.topic}.yml"  # the topic is one of the Topic enum's values
    current = _read(root / target) or ""
    if re.search(rf"^- id: {re.escape(draft.id)}\s*$", current, re.M) or any(
            re.search(rf"^- id: {re.escape(draft.id)}\s*$", p.read_text(encoding="utf-8"), re.M)
            for p in (root / ARTICLES_DIR).glob("*.yml")):
        raise InvalidProposal(f"an article {draft.id!r} exists already")
    separator = "" if not current or current.endswith("\n\n") else ("\n" if current.endswith("\n") else "\n\n")
    return {
        target: current + separator + _article_yaml(draft, proposal_id, actor, today),
        EXAMPLES_FILE: _with_examples(_read(root / EXAMPLES_FILE), f"faq/{draft.id}", draft.questions),
    }


def _diff(root: Path, changes: Dict[str, str]) -> str:
    parts = []
    for name, new in changes.items():
        old = _read(root / name)
        parts += difflib.unified_diff((old or "").splitlines(keepends=True), new.splitlines(keepends=True),
                                      fromfile=f"a/{name}" if old is not None else "/dev/null", tofile=f"b/{name}")
    return "".join(parts)


def _fragment(root: Path, changes: Dict[str, str]) -> str:
    """What the change adds, file by file (the lines the diff adds)."""
    out = []
    for name, new in changes.items():
        old = (_read(root / name) or "").splitlines()
        added = [line[1:] for line in difflib.unified_diff(old, new.splitlines(), lineterm="", n=0)
                 if line.startswith("+") and not line.startswith("+++")]
        out.append(f"# {name}\n" + "\n".join(added) + "\n")
    return "\n".join(out)


# ---------------------------------------------------------------- validation


def _tail(text: str) -> str:
    text = _ANSI.sub("", text)
    return text if len(text) <= OUTPUT_LIMIT else "…\n" + text[-OUTPUT_LIMIT:]


def validate(root: Path, changes: Dict[str, str], scratch: Path, today: date) -> Dict[str, Any]:
    """The kb check and `rasa data validate --fail-on-warnings` on a copy of the repo with the change."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    try:
        for name in COPIED:
            if (root / name).is_dir():
                shutil.copytree(root / name, scratch / name)
        for name in COPIED_FILES:
            shutil.copy2(root / name, scratch / name)
        for name, content in changes.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text(content, encoding="utf-8")
        report = check_kb(scratch / "kb", today, scratch)
        kb_output = "\n".join([f"warning: {w}" for w in report.warnings]
                              + ([report.summary] if report.ok else [f"kb check FAILED: {len(report.problems)} problem(s)"]
                                 + [f"  - {p}" for p in report.problems]))
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
        command = [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings", "--domain", "domain",
                   "--data", "data", "--config", "config.yml"]
        try:
            ran = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True,
                                 timeout=VALIDATE_TIMEOUT_SECONDS)
            rasa_ok, rasa_output = ran.returncode == 0, ran.stdout + ran.stderr
        except subprocess.TimeoutExpired:
            rasa_ok, rasa_output = False, f"rasa data validate did not finish within {VALIDATE_TIMEOUT_SECONDS} s"
        return {"ok": report.ok and rasa_ok,
                "kb_check": {"ok": report.ok, "output": _tail(kb_output)},
                "rasa_validate": {"ok": rasa_ok, "command": " ".join(command[2:]), "output": _tail(rasa_output)}}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------- proposals


def _save(files: ReviewFiles, proposal: Proposal) -> None:
    folder = files.proposal_dir(proposal.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "change.diff").write_text(proposal.diff, encoding="utf-8")
    (folder / "fragment.yml").write_text(proposal.fragment, encoding="utf-8")
    meta = {k: v for k, v in dataclasses.asdict(proposal).items() if k not in ("diff", "fragment")}
    temporary = folder / "proposal.json.tmp"
    temporary.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    temporary.replace(folder / "proposal.json")


def _changes_of(files: ReviewFiles, proposal: Proposal) -> Dict[str, str]:
    """The new contents of the files, exactly as validated."""
    new_contents = json.loads((files.proposal_dir(proposal.id) / "contents.json").read_text(encoding="utf-8"))
    return {name: new_contents[name] for name in proposal.files}


def _create(files: ReviewFiles, actor: str, kind: str, summary: str, changes: Dict[str, str], proposal_id: str,
            origin: Dict[str, Any], now: datetime) -> Proposal:
    base = {name: _digest(_read(files.root / name)) for name in changes}
    validation = validate(files.root, changes, files.workspace / "scratch" / proposal_id, now.date())
    proposal = Proposal(proposal_id, kind, actor, now.isoformat(), "validated" if validation["ok"] else "failed",
                        summary, sorted(changes), base, validation, origin,
                        diff=_diff(files.root, changes), fragment=_fragment(files.root, changes))
    _save(files, proposal)
    (files.proposal_dir(proposal_id) / "contents.json").write_text(json.dumps(changes, ensure_ascii=False),
                                                                      encoding="utf-8")
    return proposal


def propose_example(files: ReviewFiles, actor: str, text: Any, intent: Any, origin: Optional[Dict[str, Any]] = None,
                    now: Optional[datetime] = None) -> Proposal:
    now = now or datetime.now(timezone.utc)
    changes = example_change(files.root, text, intent)
    summary = f"training example for {intent.strip()}: {text.strip()}"
    return _create(files, actor, "example", summary, changes, uuid.uuid4().hex[:12], origin or {}, now)


def propose_article(files: ReviewFiles, actor: str, values: Dict[str, Any], origin: Optional[Dict[str, Any]] = None,
                    now: Optional[datetime] = None) -> Proposal:
    now = now or datetime.now(timezone.utc)
    draft = article_draft(values)
    proposal_id = uuid.uuid4().hex[:12]
    changes = article_change(files.root, draft, proposal_id, actor, now.date())
    summary = f"kb article draft {draft.id} ({draft.topic}): {draft.title}"
    return _create(files, actor, "article", summary, changes, proposal_id, origin or {}, now)


def get(files: ReviewFiles, proposal_id: str) -> Proposal:
    folder = files.proposal_dir(proposal_id)
    try:
        meta = json.loads((folder / "proposal.json").read_text(encoding="utf-8"))
        diff = (folder / "change.diff").read_text(encoding="utf-8")
        fragment = (folder / "fragment.yml").read_text(encoding="utf-8")
    except (OSError, ValueError):
        raise UnknownProposal(proposal_id)
    return Proposal(**meta, diff=diff, fragment=fragment)


def proposals(files: ReviewFiles, limit: int = 50) -> List[Proposal]:
    """The newest proposals first."""
    folder = files.workspace / "proposals"
    found = []
    for path in folder.glob("*/proposal.json") if folder.is_dir() else []:
        try:
            found.append(get(files, path.parent.name))
        except UnknownProposal:
            continue
    return sorted(found, key=lambda p: p.proposed_at, reverse=True)[:limit]


def approve(files: ReviewFiles, actor: str, proposal_id: str, now: Optional[datetime] = None) -> Proposal:
    """Writes the validated change into the repo's files (for `git diff` and a commit)."""
    now = now or datetime.now(timezone.utc)
    with _lock:
        proposal = get(files, proposal_id)
        if proposal.status == "approved":
            raise ProposalRefused("already approved")
        if proposal.status != "validated":
            raise ProposalRefused("only a proposal that passed validation can be approved")
        changed = [name for name, digest in proposal.base.items() if _digest(_read(files.root / name)) != digest]
        if changed:
            raise ProposalRefused(f"{', '.join(changed)} changed since this proposal was validated: propose it again")
        for name, content in _changes_of(files, proposal).items():
            target = files.root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{proposal.id}.tmp")
            temporary.write_text(content, encoding="utf-8")
            temporary.replace(target)
        proposal.status, proposal.approved_by, proposal.approved_at = "approved", actor, now.isoformat()
        _save(files, proposal)
        return proposal
