"""The hub's own signing key: a PEM file in the data directory, published in the key list.

The hub signs what members deliver unsigned, vouching for which authenticated member delivered it.
Hub processes sharing a data directory share the key; processes on several machines either share
the file or each make one: every hub key is published, and a signature names its key.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.base import Storage
from tabadol.types import SigningKey, utc_now
from tabadol.verify.provenance import (
    encode_public_key,
    generate_key_pair,
    public_key_id,
    public_key_of,
    read_private_key,
)

HUB_KEY_FILE = "hub-signing-key.pem"
HUB_KEY_LABEL = "tabadol hub"


def load_or_create_hub_key(data_dir: Path, storage: Storage) -> tuple[bytes, SigningKey]:
    """The hub's private key (PEM) and its published record; made and published on first use."""
    path = data_dir / HUB_KEY_FILE
    if path.exists():
        private_pem = read_private_key(path)
    else:
        private_pem, _ = generate_key_pair()
        try:
            write_private_key(path, private_pem)
        except TabadolError:
            # Another process made it between our look and our write: use theirs.
            private_pem = read_private_key(path)
    public = public_key_of(private_pem)
    key = storage.get_signing_key(public_key_id(public))
    if key is None:
        key = SigningKey(public_key_id(public), None, encode_public_key(public), HUB_KEY_LABEL, utc_now())
        if not storage.add_signing_key(key):  # published by another process meanwhile
            key = storage.get_signing_key(key.key_id) or key
    return private_pem, key


def write_private_key(path: Path, private_pem: bytes) -> None:
    """Create the file with mode 0600 from the start (no moment where others could read it), whole
    or not at all: it is written under a temporary name and linked into place, which fails rather
    than overwrite a key that exists (and a reader never sees a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise TabadolError(ErrorCode.SIGNING_KEY_EXISTS, key_id=str(path))
    # A unique name per writer (mkstemp makes it with mode 0600): two processes, or two hubs in one
    # process, making the key at the same moment never share a temporary file.
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        raise TabadolError(ErrorCode.SIGNING_KEY_EXISTS, key_id=str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)
