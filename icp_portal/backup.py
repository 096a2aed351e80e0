"""Backup and restore: the PostgreSQL database (pg_dump custom format) plus the document files
(a tar of MEDIA_ROOT, or with S3 storage the bucket's listing), and a manifest that lets a restore
prove it is complete: the number of agreements and audit rows, and every file with its sha256.

    manage.py backup  [--out DIR]        writes DIR/icp-portal-<UTC time>/
    manage.py restore BACKUP_DIR --yes   loads it into DATABASE_URL and MEDIA_ROOT, then verifies

``make backup`` and ``make restore BACKUP=…`` wrap them (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "media.tar"


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore from Django's settings (password via env)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("backup and restore need PostgreSQL.")
    args = ["--host", db.get("HOST") or "127.0.0.1", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def database_facts() -> dict:
    """What a restore must find again: row counts and every document file's sha256."""
    from agreements.models import Agreement, Document
    from workflow.models import TransitionLog

    return {
        "agreements": Agreement.objects.count(),
        "audit_rows": TransitionLog.objects.count(),
        "last_audit_id": TransitionLog.objects.order_by("-pk").values_list("pk", flat=True).first(),
        "documents": {
            name: sha for name, sha in Document.objects.exclude(file="").values_list("file", "sha256").order_by("pk")
        },
    }


def _media_files(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): _sha256(path) for path in sorted(root.rglob("*")) if path.is_file()}


def _s3_listing() -> list[dict]:
    bucket = default_storage.bucket  # django-storages S3Storage
    return [
        {"key": obj.key, "size": obj.size, "etag": obj.e_tag.strip('"'), "modified": obj.last_modified.isoformat()}
        for obj in bucket.objects.all()
    ]


def backup(out: Path) -> Path:
    """Write one backup under ``out`` and return its folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out / f"icp-portal-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    args, env = _pg_env()
    name = settings.DATABASES["default"]["NAME"]
    facts = database_facts()  # before the dump: everything counted here is in it (nothing is deleted)
    subprocess.run(
        ["pg_dump", *args, "--format=custom", "--no-owner", "--file", str(target / DUMP), name],
        check=True,
        env=env,
    )
    manifest = {
        "created_at": stamp,
        "database": {"file": DUMP, "sha256": _sha256(target / DUMP), **facts},
        "storage": settings.STORAGE_BACKEND,
    }
    if settings.STORAGE_BACKEND == "s3":
        # Objects stay in the (versioned) bucket; the listing says what must be there.
        manifest["s3_objects"] = _s3_listing()
    else:
        media = Path(settings.MEDIA_ROOT)
        media.mkdir(parents=True, exist_ok=True)
        manifest["media"] = {"file": FILES, "files": _media_files(media)}
        with tarfile.open(target / FILES, "w") as tar:
            tar.add(media, arcname="media")
        manifest["media"]["sha256"] = _sha256(target / FILES)
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return target


def restore(source: Path) -> dict:
    """Load a backup into DATABASE_URL (its tables are replaced) and MEDIA_ROOT, then verify it
    against the manifest. Returns what was found; raises RuntimeError on any mismatch."""
    manifest = json.loads((source / MANIFEST).read_text())
    if _sha256(source / DUMP) != manifest["database"]["sha256"]:
        raise RuntimeError("The database dump does not match its manifest (corrupt or altered backup).")
    args, env = _pg_env()
    name = settings.DATABASES["default"]["NAME"]
    connection.close()
    subprocess.run(
        [
            "pg_restore",
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            name,
            str(source / DUMP),
        ],
        check=True,
        env=env,
    )
    if manifest.get("media"):
        media = Path(settings.MEDIA_ROOT)
        if _sha256(source / FILES) != manifest["media"]["sha256"]:
            raise RuntimeError("The media archive does not match its manifest.")
        staging = media.parent / f".{media.name}.restoring"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(source / FILES) as tar:
            tar.extractall(staging, filter="data")
        media.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging / "media", media, dirs_exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return verify(manifest)


def verify(manifest: dict) -> dict:
    """Compare the live database and files with a backup's manifest."""
    facts = database_facts()
    expected = manifest["database"]
    problems = []
    for key in ("agreements", "audit_rows", "last_audit_id"):
        if facts[key] != expected[key]:
            problems.append(f"{key}: expected {expected[key]}, found {facts[key]}")
    if facts["documents"] != expected["documents"]:
        problems.append("the documents table differs from the backup")
    if manifest.get("media"):
        media = Path(settings.MEDIA_ROOT)
        for name, sha in manifest["media"]["files"].items():
            path = media / name
            if not path.is_file() or _sha256(path) != sha:
                problems.append(f"file {name} is missing or altered")
        for name, sha in facts["documents"].items():
            path = media / name
            if not path.is_file() or _sha256(path) != sha:
                problems.append(f"document file {name} is missing or does not match its sha256")
    if problems:
        raise RuntimeError("Restore incomplete: " + "; ".join(problems[:20]))
    return {
        "agreements": facts["agreements"],
        "audit_rows": facts["audit_rows"],
        "documents": len(facts["documents"]),
        "files": len(manifest.get("media", {}).get("files", {})),
    }
