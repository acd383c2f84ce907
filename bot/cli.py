"""The command line: build and inspect the knowledge base, ask the assistant, delete old conversations,
make accounts for the staff page."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _kb_build(args) -> int:
    from knowledge import builder, loader

    try:
        report = builder.build(force=args.force, local=args.local)
    except loader.DataFileError as exc:
        print(f"De kennisbank is NIET gebouwd: {len(exc.errors)} fout(en) in de gegevens. De oude kennisbank blijft staan.", file=sys.stderr)
        for err in exc.errors:
            print(f"  - {err}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0


def _kb_check(args) -> int:
    from knowledge import builder, loader

    try:
        data = loader.load(builder.CORE_DIR, args.local or builder.local_dir())
    except loader.DataFileError as exc:
        for err in exc.errors:
            print(f"  - {err}", file=sys.stderr)
        return 2
    print("gegevens in orde:", ", ".join(f"{k}={v}" for k, v in sorted(data.counts().items())))
    return 0


def _kb_find(args) -> int:
    from knowledge.query import default

    kb = default()
    text = " ".join(args.text)
    if args.what == "name":
        for m in kb.find(text):
            print(f"{m.score:5.1f}  {m.kind:13} {m.id:28} ({m.matched})")
    elif args.what == "figure":
        for hit in kb.search_statistics(text, limit=5):
            print(f"{hit.score:6.2f}  {hit.record.id:32} {hit.record.phrasing}")
    elif args.what == "passage":
        for hit in kb.search_passages(text):
            print(f"{hit.score:6.2f}  {hit.record.id:28} {hit.record.title}")
    elif args.what == "ido":
        near = kb.nearest_ido(text, limit=5)
        if not near.known_place:
            print(f"onbekende plaats: {text}")
        else:
            print(f"{near.place.canonical} ({near.place.province or '?'})")
            for desk, km in near.desks:
                print(f"{km:6.1f} km  {desk.status:12} {desk.place:28} {desk.display_name}")
    return 0


def _nlp(args) -> int:
    from bot import nlp
    from knowledge.query import default

    kb = default()
    try:
        kb.check()
    except Exception as exc:  # KnowledgeBaseMissing and friends: say what to run, no traceback
        print(exc, file=sys.stderr)
        return 2
    if args.force or not nlp.pipeline_is_current(kb, force_blank=args.blank):
        info = nlp.build_pipeline(kb, force_blank=args.blank)
        print(f"spaCy-pijplijn: {info['base']}, {info['patterns']} KB-namen -> {nlp.PIPELINE_DIR}")
    else:
        print("spaCy-pijplijn is al bij")
    counts = nlp.generate_nlu(kb)
    print("NLU uit de KB:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())), "->", nlp.GENERATED_NLU.name)
    return 0


def _ask(args) -> int:
    import uuid

    from bot.serve import Servers, Settings, ask, get

    settings = Settings()
    question = " ".join(args.question)
    servers = None
    if get(f"{settings.rasa_url}/") is None:
        print("De bot draait nog niet; ik start hem voor deze vraag (ongeveer een minuut)...", file=sys.stderr)
        servers = Servers(settings)
        try:
            servers.start()
        except (RuntimeError, SystemExit) as exc:
            servers.stop()
            print(f"Starten mislukt: {exc}", file=sys.stderr)
            return 1
    try:
        for message in ask(settings, args.sender or f"cli-{uuid.uuid4().hex[:8]}", question):
            if message.get("text"):
                print(message["text"])
            for b in message.get("buttons") or []:
                print(f"  [{b['title']}]")
    finally:
        if servers is not None:
            servers.stop()
    return 0


def tracker_store(endpoints: str = "endpoints.yml"):
    """The tracker store endpoints.yml configures, with the same environment defaults as the servers."""
    from rasa.utils.endpoints import read_endpoint_config

    from bot.serve import endpoints_env
    from bot.stores import MaskingSQLTrackerStore
    from knowledge.db import ROOT

    path = Path(endpoints)
    if not path.is_absolute() and not path.exists():
        path = ROOT / path
    added = {k: v for k, v in endpoints_env(dict(os.environ)).items() if k not in os.environ}
    os.environ.update(added)  # Rasa reads ${VAR} from os.environ; the defaults are taken away again below
    try:
        config = read_endpoint_config(str(path), "tracker_store")
    finally:
        for key in added:
            os.environ.pop(key, None)
    if config is None:
        raise SystemExit(f"geen tracker_store in {path}")
    return MaskingSQLTrackerStore(host=config.url, **config.kwargs)


def _retention(args) -> int:
    from bot.stores import delete_older_than

    if args.days <= 0:
        print("--days moet groter zijn dan 0", file=sys.stderr)
        return 2
    store = tracker_store(args.endpoints)
    try:
        deleted = delete_older_than(store, days=args.days)
    finally:
        store.engine.dispose()
    print(f"{deleted} gesprek(ken) verwijderd waarvan het laatste bericht ouder is dan {args.days:g} dagen")
    return 0


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Wachtwoord (minstens 12 tekens): ")
    if getpass.getpass("Typ het wachtwoord nog een keer: ") != first:
        raise ValueError("De twee wachtwoorden zijn niet gelijk.")
    return first


def _staff(args) -> int:
    from bot.web.auth import AccountError, UserStore, check_name

    users = UserStore()
    try:
        if args.staff_command == "add-user":
            name = check_name(args.name)
            if not args.replace and name in dict(users.accounts()):
                raise AccountError(f"Het account '{name}' bestaat al. Een nieuw wachtwoord geven: "
                                   f"python -m bot staff add-user {name} --replace")
            try:
                password = _read_password(args)
            except ValueError as exc:
                print(f"{exc} Er is niets veranderd.", file=sys.stderr)
                return 2
            except (EOFError, KeyboardInterrupt):
                print("\nGestopt. Er is niets veranderd.", file=sys.stderr)
                return 1
            if users.add(name, password, replace=args.replace):
                print(f"Het account '{name}' heeft een nieuw wachtwoord. Wie met het oude was ingelogd, is uitgelogd.")
            else:
                print(f"Het account '{name}' is gemaakt. Log in op /staff/login.")
            print(f"Opgeslagen in {users.path} (alleen een hash, niet het wachtwoord zelf).")
        elif args.staff_command == "remove-user":
            if not users.remove(args.name):
                print(f"Er is geen account '{args.name}' in {users.path}.", file=sys.stderr)
                return 2
            print(f"Het account '{args.name.strip().lower()}' is verwijderd. Wie daarmee was ingelogd, is uitgelogd.")
        else:
            accounts = users.accounts()
            if not accounts:
                print(f"Nog geen accounts in {users.path}. Maak er een: python -m bot staff add-user NAAM")
            for name, changed in accounts:
                print(f"{name:24} wachtwoord van {changed}")
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Bieb-assistent: kennisbank en assistent")
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="de kennisbank bouwen en bekijken").add_subparsers(dest="kb_command", required=True)
    b = kb.add_parser("build", help="gegevensbestanden controleren en de kennisbank bouwen")
    b.add_argument("--force", action="store_true", help="ook bouwen als de gegevens niet veranderd zijn")
    b.add_argument("--local", type=_path, default=None, help="map met eigen gegevens (standaard knowledge/local of KB_LOCAL_DIR)")
    b.set_defaults(func=_kb_build)
    c = kb.add_parser("check", help="alleen de gegevensbestanden controleren")
    c.add_argument("--local", type=_path, default=None)
    c.set_defaults(func=_kb_check)
    f = kb.add_parser("find", help="zoeken in de kennisbank (voor ontwikkelaars)")
    f.add_argument("what", choices=["name", "figure", "passage", "ido"])
    f.add_argument("text", nargs="+")
    f.set_defaults(func=_kb_find)
    n = sub.add_parser("nlp", help="spaCy-pijplijn en NLU-gegevens uit de kennisbank maken")
    n.add_argument("--force", action="store_true")
    n.add_argument("--blank", action="store_true", help="ook als nl_core_news_sm er is: de lege Nederlandse basis")
    n.set_defaults(func=_nlp)
    a = sub.add_parser("ask", help="een vraag stellen aan de bot (start hem zo nodig)")
    a.add_argument("question", nargs="+")
    a.add_argument("--sender", default=None, help="gesprek-id, om vervolgvragen te stellen")
    a.set_defaults(func=_ask)
    r = sub.add_parser("retention", help="oude gesprekken uit de tracker store verwijderen (voor een cron job)")
    r.add_argument("--days", type=float, required=True, help="verwijder gesprekken zonder bericht in de laatste N dagen")
    r.add_argument("--endpoints", default="endpoints.yml", help="Rasa's endpoints.yml (standaard die van het project)")
    r.set_defaults(func=_retention)
    st = sub.add_parser("staff", help="accounts voor de pagina voor medewerkers (/staff); bestand: STAFF_USERS_FILE "
                                      "(standaard var/staff_users.json)").add_subparsers(dest="staff_command", required=True)
    add = st.add_parser("add-user", help="een account maken (het wachtwoord wordt gevraagd)")
    add.add_argument("name", help="gebruikersnaam: kleine letters, cijfers, . _ -")
    add.add_argument("--password-stdin", action="store_true", help="lees het wachtwoord van de eerste regel van stdin (voor scripts)")
    add.add_argument("--replace", action="store_true", help="het account bestaat al: geef het een nieuw wachtwoord")
    add.set_defaults(func=_staff)
    rm = st.add_parser("remove-user", help="een account verwijderen")
    rm.add_argument("name")
    rm.set_defaults(func=_staff)
    st.add_parser("list-users", help="de accounts tonen (zonder wachtwoorden)").set_defaults(func=_staff)
    return parser


def _path(value: str):
    from pathlib import Path

    return Path(value)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
