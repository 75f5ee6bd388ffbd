# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one certificate checker, ``tls.check``: each case it refuses or warns about, on PEM content (pure)."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.tests.support import pki

LABELS = tls.Labels(cert="cert_file", key="key_file", cname="cname")


@pytest.fixture(scope="module")
def chain():
    root = pki.ca("Contoso Root CA")
    intermediate = pki.ca("Contoso Issuing CA", issuer=root)
    leaf = pki.issue("ml.contoso.com", ("ml.contoso.com", "*.apps.contoso.com"), issuer=intermediate)
    return root, intermediate, leaf


def check(cert: bytes, key: bytes | None, **kwargs):
    kwargs.setdefault("labels", LABELS)
    return tls.check(cert, key, **kwargs)


def test_a_good_chain_passes_with_its_facts(chain):
    root, intermediate, leaf = chain
    verdict = check(leaf.cert_pem(), leaf.key_pem(), cname="ml.contoso.com")
    assert verdict.ok and verdict.problems == () and verdict.warnings == ()
    assert verdict.subject == "CN=ml.contoso.com" and verdict.issuer == "CN=Contoso Issuing CA"
    assert verdict.dns_names == ("ml.contoso.com", "*.apps.contoso.com") and verdict.chain_length == 3
    assert 88 <= verdict.days_left <= 90
    assert verdict.not_before < datetime.datetime.now(datetime.timezone.utc) < verdict.not_after
    assert verdict.fingerprint_sha256 == tls.fingerprint(leaf.cert_pem())
    assert len(verdict.fingerprint_sha256.split(":")) == 32
    shown = verdict.as_dict()
    assert shown["not_after"] == verdict.not_after.isoformat() and shown["ok"] is True
    # The leaf alone, or without the root, is a chain in order too.
    assert check(leaf.cert_pem(with_chain=False), leaf.key_pem()).ok
    assert check(pki.cert_pem(leaf.cert, intermediate.cert), leaf.key_pem()).ok


@pytest.mark.parametrize("traditional", [False, True])
def test_passphrase_key_is_refused_with_the_fix(chain, traditional):
    leaf = chain[2]
    verdict = check(leaf.cert_pem(), leaf.key_pem(b"s3cret-pass", traditional=traditional))
    assert verdict.problems == ("key_file is protected by a passphrase; the extension does not support that: "
                                "remove it with `openssl pkey -in key.pem -out key-nopass.pem`",)


def test_key_of_another_certificate_is_refused(chain):
    other = pki.issue("ml.contoso.com")
    assert check(chain[2].cert_pem(), other.key_pem()).problems == (
        "key_file does not match the certificate in cert_file: give the key the certificate was issued for",)


def test_expired_certificate_is_refused_with_its_dates():
    issued = pki.issue("ml.contoso.com", expired=True)
    verdict = check(issued.cert_pem(), issued.key_pem())
    (problem,) = verdict.problems
    assert problem.startswith("cert_file: the certificate expired on %s (valid from %s; it is now "
                              % (verdict.not_after.isoformat(), verdict.not_before.isoformat()))
    assert problem.endswith("renew it and give the new one") and verdict.days_left < 0


def test_not_yet_valid_certificate_is_refused_with_its_date():
    issued = pki.issue("ml.contoso.com", not_yet_valid=True)
    verdict = check(issued.cert_pem(), issued.key_pem())
    (problem,) = verdict.problems
    assert problem.startswith("cert_file: the certificate is not valid before %s (it is now "
                              % verdict.not_before.isoformat())


def test_an_expired_intermediate_is_named():
    root = pki.ca("Root")
    intermediate = pki.ca("Old Intermediate", issuer=root, expired=True)
    leaf = pki.issue("ml.contoso.com", issuer=intermediate)
    (problem,) = check(leaf.cert_pem(), leaf.key_pem()).problems
    assert problem.startswith("cert_file: certificate 2 of 3 (CN=Old Intermediate) expired on ")


def test_validity_is_judged_at_the_given_time(chain):
    leaf = chain[2]
    later = leaf.cert.not_valid_after_utc + datetime.timedelta(days=1)
    assert "expired on" in check(leaf.cert_pem(), leaf.key_pem(), now=later).problems[0]


@pytest.mark.parametrize("days, warned", [(10, True), (29, True), (60, False)])
def test_near_expiry_warns_within_the_days_given(days, warned):
    issued = pki.issue("ml.contoso.com", days_valid=days)
    verdict = check(issued.cert_pem(), issued.key_pem(), expiry_warning_days=30)
    assert verdict.ok
    assert bool(verdict.warnings) is warned
    if warned:
        assert verdict.warnings[0] == ("cert_file: the certificate expires on %s, in %d day(s): renew it and rotate "
                                       "it before then" % (verdict.not_after.isoformat(), verdict.days_left))
    assert check(issued.cert_pem(), issued.key_pem(), expiry_warning_days=0).warnings == ()


def test_chain_out_of_order_is_refused(chain):
    root, intermediate, leaf = chain
    verdict = check(pki.cert_pem(leaf.cert, root.cert, intermediate.cert), leaf.key_pem())
    assert verdict.problems == (
        "cert_file: the chain is out of order: certificate 2 (CN=Contoso Root CA) is not the issuer of certificate 1 "
        "(CN=ml.contoso.com, issued by CN=Contoso Issuing CA), so clients cannot build it (health check E40007): order it server certificate first, then each "
        "certificate's issuer (intermediates, then the root, which may be left out)",)


def test_server_certificate_not_first_is_one_problem(chain):
    root, intermediate, leaf = chain
    verdict = check(pki.cert_pem(intermediate.cert, leaf.cert, root.cert), leaf.key_pem())
    assert verdict.problems == ("key_file belongs to certificate 2 of 3 in cert_file, not to the first (health check E40007): order it "
                                "server certificate first, then each certificate's issuer (intermediates, then the "
                                "root, which may be left out)",)


def test_an_issuer_with_the_right_name_but_another_key_is_refused(chain):
    root, intermediate, leaf = chain
    impostor = pki.ca("Contoso Issuing CA", issuer=root)  # same name, another key
    verdict = check(pki.cert_pem(leaf.cert, impostor.cert, root.cert), leaf.key_pem())
    assert verdict.problems == ("cert_file: certificate 2 (CN=Contoso Issuing CA) bears the name of the issuer of "
                                "certificate 1 but did not sign it (health check E40007): give the CA certificate that issued it",)


@pytest.mark.parametrize("cname, covered", [
    ("ml.contoso.com", True),
    ("ML.Contoso.COM.", True),
    ("x.apps.contoso.com", True),
    ("apps.contoso.com", False),          # a wildcard does not cover its own parent
    ("a.b.apps.contoso.com", False),      # ... nor two labels
    ("contoso.com", False),
    ("other.contoso.com", False),
])
def test_cname_coverage(chain, cname, covered):
    leaf = chain[2]
    verdict = check(leaf.cert_pem(), leaf.key_pem(), cname=cname)
    assert verdict.ok is covered
    if not covered:
        assert verdict.problems == (
            "cname %r is not covered by the certificate in cert_file (it names: ml.contoso.com, *.apps.contoso.com); "
            "clients will reject the endpoint's certificate (health check E40007): set cname to a name it covers, "
            "or issue a certificate whose subjectAltName has it (a wildcard covers exactly one label)" % cname,)


def test_wildcard_rules():
    assert tls.name_covers("*.contoso.com", "ml.contoso.com")
    assert not tls.name_covers("*.contoso.com", "a.b.contoso.com")
    assert not tls.name_covers("*.contoso.com", "contoso.com")
    assert not tls.name_covers("ml*.contoso.com", "ml1.contoso.com")  # only a whole left-most label
    assert not tls.name_covers("*.contoso.com", "*.contoso.com.evil")


def test_common_name_is_not_used_when_sans_exist():
    issued = pki.issue("ml.contoso.com", ("other.contoso.com",))
    verdict = check(issued.cert_pem(), issued.key_pem(), cname="ml.contoso.com")
    assert "it names: other.contoso.com)" in verdict.problems[0]


def test_common_name_counts_without_sans_and_warns():
    issued = pki.issue("cn-only.contoso.com", ())
    verdict = check(issued.cert_pem(), issued.key_pem(), cname="cn-only.contoso.com")
    assert verdict.ok and verdict.dns_names == () and verdict.common_name == "cn-only.contoso.com"
    assert verdict.warnings == ("cert_file: the certificate has no DNS subjectAltName, only the common name "
                                "'cn-only.contoso.com', which browsers and most TLS clients ignore: reissue it with "
                                "a subjectAltName",)
    assert not check(issued.cert_pem(), issued.key_pem(), cname="x.contoso.com").ok


def test_several_problems_are_all_reported():
    issued = pki.issue("ml.contoso.com", expired=True)
    verdict = check(issued.cert_pem(), pki.issue().key_pem(), cname="other.contoso.com")
    assert [p.split(" ")[0] for p in verdict.problems] == ["key_file", "cert_file:", "cname"]


def test_unparsable_input_and_certificate_alone():
    assert check(b"nope", None).problems[0].startswith("cert_file: no PEM certificate found")
    non_ascii = "cert_file: the file contains non-ASCII bytes; it must be a plain PEM text file"
    assert check(b"\xff", None).problems == (non_ascii,)
    issued = pki.issue("ml.contoso.com")
    assert check(issued.cert_pem(), b"garbage").problems[0].startswith("key_file: no usable PEM private key")
    assert check(issued.cert_pem(), None).ok
    assert tls.fingerprint(b"nope") is None


def test_no_key_material_in_any_message():
    issued = pki.issue("ml.contoso.com", expired=True)
    other = pki.issue()
    for key in (other.key_pem(), other.key_pem(b"pw"), b"-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n"):
        verdict = check(issued.cert_pem(), key, cname="x.example.com")
        text = repr(verdict) + repr(verdict.as_dict())
        for line in key.decode().splitlines()[1:-1]:
            assert line not in text


def test_extension_labels_name_the_settings():
    issued = pki.issue("ml.contoso.com", expired=True)
    problems = tls.check(issued.cert_pem(), issued.key_pem(), cname="x.contoso.com").problems
    assert [p.split(" ")[0] for p in problems] == ["sslCertPemFile:", "sslCname"]
