"""`manage.py backup` then `manage.py restore` into an empty database finds every agreement,
audit row and document file (by sha256) again."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from agreements.choices import DocumentKind, State
from agreements.models import Agreement, Document
from agreements.services import document_upload
from workflow.models import TransitionLog

pytestmark = pytest.mark.django_db(transaction=True)


def _admin_dsn(dbname: str = "postgres") -> str:
    db = connection.settings_dict
    return f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={dbname}"


def test_backup_and_restore_round_trip(make_agreement, program_office, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    agreements = [make_agreement(state) for state in (State.PROPOSAL, State.SSOI_DRAFTING, State.RAD_REVIEW)]
    for index, agreement in enumerate(agreements):
        document_upload(
            agreement=agreement,
            user=program_office,
            kind=DocumentKind.DRAFT_TEXT,
            content=f"draft text {index} {uuid.uuid4()}".encode(),
            filename=f"draft-{index}.txt",
            title=f"Draft {index}",
            content_type="text/plain",
        )
    source = {
        "agreements": set(Agreement.objects.values_list("reference", flat=True)),
        "audit": set(TransitionLog.objects.values_list("pk", "transition", "agreement_id")),
        "documents": dict(Document.objects.values_list("file", "sha256")),
    }
    assert source["agreements"] and source["audit"] and len(source["documents"]) >= 3

    call_command("backup", out=str(tmp_path / "backups"))
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["agreements"] == len(source["agreements"])
    assert (folder / "database.dump").stat().st_size > 0 and (folder / "media.tar").is_file()

    # Restore into a brand-new database and an empty media folder.
    restored_db = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored_db}"')
    original = dict(connection.settings_dict)
    try:
        settings.MEDIA_ROOT = str(tmp_path / "restored-media")
        settings.DATABASES["default"]["NAME"] = restored_db
        connection.close()
        connection.settings_dict["NAME"] = restored_db
        call_command("restore", str(folder), yes=True)
        assert set(Agreement.objects.values_list("reference", flat=True)) == source["agreements"]
        assert set(TransitionLog.objects.values_list("pk", "transition", "agreement_id")) == source["audit"]
        restored_docs = dict(Document.objects.values_list("file", "sha256"))
        assert restored_docs == source["documents"]
        for name, sha in restored_docs.items():
            assert Document.digest((Path(settings.MEDIA_ROOT) / name).read_bytes()) == sha
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original["NAME"]
        settings.DATABASES["default"]["NAME"] = original["NAME"]
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)')
