"""Reading and validating data files: curated files plus a library's local folder, before any database is touched.

Every problem is collected (not just the first) and reported with file, record and field, so a
library fixing its own file sees everything that is wrong in one run.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml
from pydantic import BaseModel, ValidationError

from knowledge import schema
from knowledge.text import normalise

#: Refuse absurd files early: a data file is text written by people.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The IDs other records may point at, by kind.
REFERENCE_TARGETS = ("programmes", "schemes", "examples", "organisations", "topics")


@dataclass(frozen=True)
class DataError:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.record:
            where += f", record {self.record}"
        if self.field:
            where += f", veld '{self.field}'"
        return f"{where}: {self.message}"


class DataFileError(Exception):
    """Raised when one or more data files are invalid; carries every error found."""

    def __init__(self, errors: List[DataError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Dataset:
    """Validated records of every kind, each with the file it came from and whether it is local."""

    records: Dict[str, List[Tuple[BaseModel, str, bool]]] = field(default_factory=dict)
    ido_locations: List[Tuple[schema.IdoLocation, str, int, bool]] = field(default_factory=list)
    replaced: List[str] = field(default_factory=list)

    def of(self, kind: str) -> List[BaseModel]:
        return [rec for rec, _, _ in self.records.get(kind, [])]

    def counts(self) -> Dict[str, int]:
        counts = {kind: len(items) for kind, items in self.records.items()}
        counts["ido_locations"] = len(self.ido_locations)
        return counts


def _record_label(kind: str, index: int, raw) -> str:
    ident = raw.get("id") or raw.get("name") or raw.get("place") if isinstance(raw, dict) else None
    return f"{kind}[{index}]" + (f" ({ident})" if ident else "")


def _pydantic_errors(exc: ValidationError, file: str, label: str) -> List[DataError]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"] if part != "__root__")
        out.append(DataError(file, label, loc, err["msg"]))
    return out


def _read_text(path: Path, errors: List[DataError]) -> Optional[str]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            errors.append(DataError(str(path), "", "", f"bestand is groter dan {MAX_FILE_BYTES // 1024 // 1024} MB"))
            return None
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        errors.append(DataError(str(path), "", "", "bestand is geen UTF-8-tekst"))
    except OSError as exc:
        errors.append(DataError(str(path), "", "", f"kan bestand niet lezen: {exc.strerror}"))
    return None


def _load_yaml(path: Path, errors: List[DataError]) -> Iterable[Tuple[str, BaseModel, str]]:
    text = _read_text(path, errors)
    if text is None:
        return []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"regel {mark.line + 1}" if mark else ""
        errors.append(DataError(str(path), line, "", f"geen geldige YAML: {getattr(exc, 'problem', exc)}"))
        return []
    if doc is None:
        return []
    if not isinstance(doc, dict):
        errors.append(DataError(str(path), "", "", "verwacht een lijst onder een sleutel zoals 'programmes:' of 'statistics:'"))
        return []
    out = []
    for kind, items in doc.items():
        model = schema.YAML_KINDS.get(kind)
        if model is None:
            known = ", ".join(sorted(schema.YAML_KINDS))
            errors.append(DataError(str(path), "", str(kind), f"onbekende soort; kies uit {known}"))
            continue
        if not isinstance(items, list):
            errors.append(DataError(str(path), "", str(kind), "verwacht een lijst van records"))
            continue
        for index, raw in enumerate(items):
            label = _record_label(kind, index, raw)
            if not isinstance(raw, dict):
                errors.append(DataError(str(path), label, "", "een record is een reeks velden (sleutel: waarde)"))
                continue
            try:
                out.append((kind, model.parse_obj(raw), label))
            except ValidationError as exc:
                errors.extend(_pydantic_errors(exc, str(path), label))
    return out


def _load_csv(path: Path, model: type, errors: List[DataError]) -> List[Tuple[BaseModel, int]]:
    text = _read_text(path, errors)
    if text is None:
        return []
    reader = csv.DictReader(io.StringIO(text))
    fields = set(model.__fields__)
    unknown = [name for name in (reader.fieldnames or []) if name not in fields]
    if not reader.fieldnames:
        errors.append(DataError(str(path), "", "", "CSV zonder kopregel"))
        return []
    if unknown:
        errors.append(DataError(str(path), "regel 1", ", ".join(unknown), f"onbekende kolom; bekend zijn: {', '.join(sorted(fields))}"))
        return []
    out = []
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(DataError(str(path), f"regel {line}", "", "meer waarden dan kolommen"))
            continue
        try:
            out.append((model.parse_obj(row), line))
        except ValidationError as exc:
            errors.extend(_pydantic_errors(exc, str(path), f"regel {line}"))
    return out


def _files(folder: Path) -> List[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def ido_key(loc: schema.IdoLocation) -> str:
    """One desk is one place plus one branch: a local row with the same key replaces the national one."""
    return f"{normalise(loc.place)}|{normalise(loc.branch or '')}"


def load(core_dir: Path, local_dir: Optional[Path] = None) -> Dataset:
    """Validate every file in the curated folder and the local folder; raise DataFileError listing all problems."""
    errors: List[DataError] = []
    data = Dataset()
    ido_index: Dict[str, int] = {}
    ids: Dict[Tuple[str, str], Tuple[str, bool]] = {}

    for folder, is_local in ((core_dir, False), (local_dir, True)):
        if folder is None:
            continue
        for path in _files(folder):
            suffix = path.suffix.lower()
            if suffix in (".yml", ".yaml"):
                for kind, rec, label in _load_yaml(path, errors):
                    key = (kind, getattr(rec, "id", None) or getattr(rec, "name"))
                    bucket = data.records.setdefault(kind, [])
                    if key in ids:
                        prev_file, prev_local = ids[key]
                        if is_local and not prev_local:
                            # A library's own record replaces the national one with the same id.
                            bucket[:] = [item for item in bucket if (getattr(item[0], "id", None) or item[0].name) != key[1]]
                            data.replaced.append(f"{kind}:{key[1]}")
                        else:
                            errors.append(DataError(str(path), label, "id", f"'{key[1]}' bestaat al in {prev_file}"))
                            continue
                    ids[key] = (str(path), is_local)
                    bucket.append((rec, str(path), is_local))
            elif suffix == ".csv":
                model = next((m for prefix, m in schema.CSV_KINDS.items() if path.name.startswith(prefix)), None)
                if model is None:
                    errors.append(DataError(str(path), "", "", "onbekend CSV-bestand; de naam begint met 'ido_' of 'places'"))
                    continue
                for rec, line in _load_csv(path, model, errors):
                    if model is schema.IdoLocation:
                        key = ido_key(rec)
                        if key in ido_index:
                            pos = ido_index[key]
                            if is_local and not data.ido_locations[pos][3]:
                                data.ido_locations[pos] = (rec, str(path), line, True)
                                data.replaced.append(f"ido:{rec.place}")
                            else:
                                errors.append(DataError(str(path), f"regel {line}", "place", f"'{rec.place}' ({rec.branch or 'geen vestiging'}) staat er al"))
                            continue
                        ido_index[key] = len(data.ido_locations)
                        data.ido_locations.append((rec, str(path), line, is_local))
                    else:
                        data.records.setdefault("places", []).append((rec, str(path), is_local))
            elif suffix in (".md", ".txt"):
                continue  # documentation beside the data
            else:
                errors.append(DataError(str(path), "", "", "onbekend bestandstype; gebruik .yml, .yaml of .csv"))

    errors.extend(_check_references(data))
    if errors:
        raise DataFileError(errors)
    return data


def _check_references(data: Dataset) -> List[DataError]:
    """Every id a record points at must exist: a typo in `about:` would silently hide a figure."""
    known = {rec.id for kind in REFERENCE_TARGETS for rec in data.of(kind)}
    programmes = {rec.id for rec in data.of("programmes")}
    errors = []
    all_ids: Dict[str, str] = {}
    for kind in REFERENCE_TARGETS:
        for rec, file, _ in data.records.get(kind, []):
            if rec.id in all_ids and all_ids[rec.id] != kind:
                errors.append(DataError(file, rec.id, "id", f"'{rec.id}' wordt ook gebruikt als {all_ids[rec.id]}; ids zijn uniek over alle soorten"))
            all_ids[rec.id] = kind

    def check(kind: str, attr: str, allowed: set):
        for rec, file, _ in data.records.get(kind, []):
            values = getattr(rec, attr, None)
            for value in values if isinstance(values, list) else [values]:
                if value is not None and value not in allowed:
                    errors.append(DataError(file, getattr(rec, "id", ""), attr, f"verwijst naar onbekend id '{value}'"))

    # One alias, one record: otherwise "which one did they mean" has no answer (and NLU synonyms clash).
    owner: Dict[str, str] = {}
    for kind in REFERENCE_TARGETS:
        for rec, file, _ in data.records.get(kind, []):
            for label in {normalise(a) for a in [rec.name, *rec.aliases]}:
                if label in owner and owner[label] != rec.id:
                    errors.append(DataError(file, rec.id, "aliases", f"'{label}' hoort al bij '{owner[label]}'"))
                owner.setdefault(label, rec.id)

    check("statistics", "about", known)
    check("programmes", "part_of", programmes)
    check("programmes", "organisations", known)
    check("schemes", "organisations", known)
    check("topics", "organisations", known)
    check("examples", "programmes", programmes)
    check("passages", "refers_to", known)
    check("facts", "about", known)
    return errors


if __name__ == "__main__":  # python -m knowledge.loader [core] [local]: check data files only
    import sys

    core = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
    local = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    try:
        ds = load(core, local)
    except DataFileError as exc:
        print(f"{len(exc.errors)} fout(en):")
        for err in exc.errors:
            print(" -", err)
        sys.exit(1)
    print("ok:", ds.counts())
