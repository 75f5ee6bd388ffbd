# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import os

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.tests.unit.plugins.module_utils.fixtures import pki


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
    assert tls.load_pem_pair(cert, pki.write(tmp_path, "leaf.pem", pki.key_pem(leaf_key))).subject == "CN=aml.example.com"
    # The CA's key is not the leaf's key, even though the CA certificate is in the chain.
    problems = _problems(cert, pki.write(tmp_path, "ca.pem", pki.key_pem(ca_key)))
    assert problems == ["sslKeyPemFile does not match the certificate in sslCertPemFile: give the key the "
                        "certificate was issued for"]


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


def test_expired_certificate_warns(tmp_path):
    files = pki.write_pair(tmp_path, expired=True)
    pair = tls.load_pem_pair(files.cert, files.key)
    assert len(pair.warnings) == 1
    assert pair.warnings[0].startswith("sslCertPemFile: the certificate expired on ")


@pytest.mark.parametrize("cname, covered", [
    ("aml.example.com", True),
    ("AML.Example.COM.", True),
    ("x.apps.example.com", True),
    ("apps.example.com", False),
    ("a.b.apps.example.com", False),
    ("other.example.com", False),
])
def test_cname_coverage(rsa_pair, cname, covered):
    warnings = tls.cname_warnings(tls.load_pem_pair(rsa_pair.cert, rsa_pair.key), cname)
    assert (warnings == []) is covered
    if not covered:
        assert warnings == ["sslCname %r is not covered by the certificate in sslCertPemFile (it names: "
                            "aml.example.com, *.apps.example.com); clients will reject the endpoint's "
                            "certificate (health check E40007)" % cname]


def test_cname_falls_back_to_common_name_without_san(tmp_path):
    files = pki.write_pair(tmp_path, common_name="cn-only.example.com", dns_names=())
    pair = tls.load_pem_pair(files.cert, files.key)
    assert tls.cname_warnings(pair, "cn-only.example.com") == []
    assert "it names: cn-only.example.com" in tls.cname_warnings(pair, "x.example.com")[0]
    assert tls.cname_warnings(pair, None) == []


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


def test_a_checked_pair_is_not_parsed_again_until_a_file_changes(tmp_path, monkeypatch):
    files = pki.write_pair(tmp_path, pki.rsa_key())
    first = tls.load_pem_pair(files.cert, files.key)
    parsed = []
    real_parse = tls._parse_private_key  # pylint: disable=protected-access
    monkeypatch.setattr(tls, "_parse_private_key", lambda *a: parsed.append(1) or real_parse(*a))
    assert tls.load_pem_pair(files.cert, files.key) is first
    assert parsed == []
    other = pki.write_pair(tmp_path, pki.ec_key(), prefix="other")
    with open(files.key, "wb") as handle, open(other.key, "rb") as source:
        handle.write(source.read() + b"\n")  # another key (and size): a new identity, checked again
    with pytest.raises(tls.PemError, match="does not match"):
        tls.load_pem_pair(files.cert, files.key)
    assert parsed == [1]
