"""An uploaded CSV, parsed once per upload: what the Data page keeps of it between reruns."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sgdcore
from sgdcore.io import column_summary, read_table


def parse_upload(content: bytes, name: str, file_id: str) -> dict[str, Any]:
    """``{"file_id", "table", "digest", "summary", "built"}`` for a file that reads, else ``{"file_id", "error"}``
    (the ``SGDCoreError``).

    ``digest`` names the content (the Data page keys the choices made on a file with it, so the same file
    uploaded again keeps them); ``built`` is for the datasets the page makes from the table. The digest is
    made on another thread while the file is parsed: hashlib lets go of the GIL, so on a second core it
    costs nothing (0.35 s of a 400 MB file otherwise).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha1(content).hexdigest()[:16])
        try:
            table = read_table(content, name=name)
            return {"file_id": file_id, "table": table, "digest": digest.result(),
                    "summary": column_summary(table.frame), "built": {}}
        except sgdcore.SGDCoreError as error:
            return {"file_id": file_id, "error": error}  # worded by the page (ui.messages)
