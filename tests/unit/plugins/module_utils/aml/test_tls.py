# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import os

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.tests.support import pki


@pytest.fixture(scope="module")
def rsa_pair(tmp_path_factory):
    return pki.write_pair(tmp_path_factory.mktemp("rsa"), pki.rsa_key(), dns_names=("aml.example.com", "*.apps.example.com"))


def _problems(cert, key):
    with pytest.raises(tls.PemError) as info:
        tls.load_pem_pair(cert, key)
    return info.value.problems


def test_rsa_pair_loads_with_names_and_raw_bytes(rsa_pair):
    pair = tls.load_pem_pair(rsa_pair.cert, rsa_pair.key)
    assert pair.dns_names == ("aml.example.com", "*.apps.example.com")
    assert pair.common_name == "aml.example.com"
    assert pair.subject == "CN=aml.example.com"
    assert pair.warnings == ()
    with open(rsa_pair.cert, "rb") as handle:
        assert pair.cert_pem == handle.read()
    assert b"PRIVATE KEY" in pair.key_pem


def test_ec_pair_and_traditional_key_format_load(tmp_path):
    key = pki.ec_key()
    cert = pki.write(tmp_path, "c.pem", pki.cert_pem(pki.certificate(key)))
    key_path = pki.write(tmp_path, "k.pem", pki.key_pem(key, traditional=True))
    assert b"BEGIN EC PRIVATE KEY" in open(key_path, "rb").read()
    assert tls.load_pem_pair(cert, key_path).dns_names == ("aml.example.com",)


def test_full_chain_is_accepted_and_leaf_is_checked(tmp_path):
    ca_key, leaf_key = pki.rsa_key(), pki.ec_key()
    ca = pki.certificate(ca_key, common_name="Test CA", dns_names=())
    leaf = pki.certificate(leaf_key, issuer_key=ca_key, issuer_name=ca.subject)
    cert = pki.write(tmp_path, "chain.pem", pki.cert_pem(leaf) + pki.cert_pem(ca))
    pair = tls.load_pem_pair(cert, pki.write(tmp_path, "leaf.pem", pki.key_pem(leaf_key)))
    assert pair.subject == "CN=aml.example.com" and pair.verdict.chain_length == 2
    # The CA's key belongs to the second certificate: the server certificate must come first.
    problems = _problems(cert, pki.write(tmp_path, "ca.pem", pki.key_pem(ca_key)))
    assert problems == ["sslKeyPemFile belongs to certificate 2 of 2 in sslCertPemFile, not to the first (health "
                        "check E40007): order it "
                        "server certificate first, then each certificate's issuer (intermediates, then the root, "
                        "which may be left out)"]


def test_tilde_is_expanded(rsa_pair, monkeypatch):
    monkeypatch.setenv("HOME", os.path.dirname(rsa_pair.cert))
    pair = tls.load_pem_pair("~/" + os.path.basename(rsa_pair.cert), "~/" + os.path.basename(rsa_pair.key))
    assert pair.common_name == "aml.example.com"


def test_missing_files_are_both_reported_without_paths(tmp_path):
    cert, key = str(tmp_path / "secret-dir-cert.pem"), str(tmp_path / "secret-dir-key.pem")
    problems = _problems(cert, key)
    assert problems == ["sslCertPemFile: the file does not exist on the host running the module",
                        "sslKeyPemFile: the file does not exist on the host running the module"]
    assert "secret-dir" not in str(problems)


def test_directory_and_unreadable(tmp_path, rsa_pair):
    assert _problems(str(tmp_path), rsa_pair.key) == ["sslCertPemFile: the path is a directory, not a PEM file"]
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    locked = pki.write(tmp_path, "locked.pem", b"x")
    os.chmod(locked, 0)
    assert _problems(rsa_pair.cert, locked) == ["sslKeyPemFile: the file cannot be read (Permission denied)"]


def test_garbage_files(tmp_path):
    cert = pki.write(tmp_path, "c.pem", b"not a certificate\n")
    key = pki.write(tmp_path, "k.pem", b"-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n")
    problems = _problems(cert, key)
    assert len(problems) == 2
    assert problems[0].startswith("sslCertPemFile: no PEM certificate found")
    assert problems[1].startswith("sslKeyPemFile: no usable PEM private key found")


def test_key_and_certificate_swapped(rsa_pair):
    problems = _problems(rsa_pair.key, rsa_pair.cert)
    assert [p.split(":")[0] for p in problems] == ["sslCertPemFile", "sslKeyPemFile"]


def test_non_ascii_file_is_refused(tmp_path, rsa_pair):
    data = open(rsa_pair.cert, "rb").read()
    cert = pki.write(tmp_path, "bom.pem", b"\xef\xbb\xbf" + data)
    assert _problems(cert, rsa_pair.key) == [
        "sslCertPemFile: the file contains non-ASCII bytes; it must be a plain PEM text file"]


@pytest.mark.parametrize("traditional", [False, True])
def test_passphrase_protected_key_is_refused_with_the_fix(tmp_path, traditional):
    key = pki.rsa_key()
    cert = pki.write(tmp_path, "c.pem", pki.cert_pem(pki.certificate(key)))
    locked = pki.write(tmp_path, "k.pem", pki.key_pem(key, b"s3cret-pass", traditional=traditional))
    problems = _problems(cert, locked)
    assert problems == ["sslKeyPemFile is protected by a passphrase; the extension does not support that: remove "
                        "it with `openssl pkey -in key.pem -out key-nopass.pem`"]


def test_mismatched_pair(tmp_path):
    first = pki.write_pair(tmp_path, prefix="a")
    second = pki.write_pair(tmp_path, prefix="b")
    assert _problems(first.cert, second.key)[0].startswith("sslKeyPemFile does not match the certificate")


def _cli_encoding(path):
    # Verbatim from the CLI's __set_inference_ssl_from_file.
    with open(path) as f:
        data = f.read()
        return base64.b64encode(data.encode("ascii")).decode()


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_base64_content_matches_the_cli(tmp_path, rsa_pair, newline):
    data = open(rsa_pair.cert, "rb").read().replace(b"\n", newline)
    path = pki.write(tmp_path, "nl.pem", data)
    assert tls.base64_content(data) == _cli_encoding(path)
    assert base64.b64decode(tls.base64_content(data)).count(b"\r") == 0


def test_no_key_material_in_messages(tmp_path):
    key = pki.rsa_key()
    pem = pki.key_pem(key)
    cert = pki.write(tmp_path, "c.pem", pki.cert_pem(pki.certificate(pki.rsa_key())))
    problems = _problems(cert, pki.write(tmp_path, "k.pem", pem))
    body = b"".join(pem.splitlines()[1:-1]).decode()
    assert all(body[:40] not in p and "c.pem" not in p for p in problems)


def test_missing_cryptography_is_reported(monkeypatch, rsa_pair):
    monkeypatch.setattr(tls, "HAS_CRYPTOGRAPHY", False)
    monkeypatch.setattr(tls, "CRYPTOGRAPHY_IMPORT_ERROR", "Traceback: No module named 'cryptography'")
    with pytest.raises(tls.MissingCryptographyError) as info:
        tls.load_pem_pair(rsa_pair.cert, rsa_pair.key)
    assert "No module named" in info.value.import_error


def test_a_key_is_parsed_once_per_content(tmp_path, monkeypatch):
    files = pki.write_pair(tmp_path, pki.rsa_key())
    tls.load_pem_pair(files.cert, files.key)
    parsed = []
    real_load = tls.serialization.load_pem_private_key
    monkeypatch.setattr(tls.serialization, "load_pem_private_key", lambda *a, **k: parsed.append(1) or real_load(*a, **k))
    assert tls.load_pem_pair(files.cert, files.key).verdict.ok
    assert parsed == []
    other = pki.write_pair(tmp_path, pki.ec_key(), prefix="other")
    with open(files.key, "wb") as handle, open(other.key, "rb") as source:
        handle.write(source.read())
    with pytest.raises(tls.PemError, match="does not match"):
        tls.load_pem_pair(files.cert, files.key)
    assert parsed == [1]
