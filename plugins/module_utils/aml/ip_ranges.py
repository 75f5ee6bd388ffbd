# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure Machine Learning ranges an AKS API server's authorized IP ranges need, merged in (pure).

The deployment article: with authorized IP ranges on, add the AML control plane's addresses for the workspace
region and its paired region, else pods cannot be deployed. They are the IPv4 prefixes of service tag
``AzureMachineLearning.<Region>`` (from the service-tags API or the "Azure IP Ranges and Service Tags"
download). ``az aks update --api-server-authorized-ip-ranges`` replaces the list, so the merged set is sent:
every existing entry stays, in its order (normalised: a bare address becomes ``/32``; duplicates once),
and what is missing is appended, sorted. AKS takes at most 200 ranges.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

AML_SERVICE = "AzureMachineLearning"
MAX_AUTHORIZED_RANGES = 200
# The documentation's own examples of regions for which the service-tag query returns nothing.
DOCUMENTED_WITHOUT_TAG = ("US-Virginia", "US-Arizona", "China-East-2")
# The Trusted Access role that lets AML reach the API server without the AML ranges (AzureCloud only).
MLWORKLOAD_ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload"


class IpRangesError(ValueError):
    """A merge that cannot be made: ``message`` says why and what to do; ``details`` go in the result."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def region_key(name: str | None) -> str:
    """The ARM name of a region however it is written: 'East US', 'EastUS' and 'eastus' are 'eastus'."""
    return "".join((name or "").split()).lower()


def normalise(entry: str) -> str:
    """One authorized range in canonical form: a bare address gets its full prefix (/32), host bits are cleared.

    An entry that is no address or network is returned stripped, unchanged (kept, never dropped).
    """
    text = str(entry).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return text


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def ipv4_only(prefixes: Iterable[str]) -> list[str]:
    """The IPv4 prefixes among ``prefixes`` (authorized ranges are IPv4), normalised; others dropped."""
    out = []
    for prefix in prefixes:
        net = _network(str(prefix).strip())
        if net is not None and net.version == 4:
            out.append(str(net))
    return out


def _sort_key(entry: str) -> tuple[int, int, int]:
    net = _network(entry)
    return (0, int(net.network_address), net.prefixlen) if net is not None else (1, 0, 0)


def tag_values(document: Any) -> list[dict[str, Any]]:
    """The ``values`` of a service-tags answer or a downloaded Service Tags file; IpRangesError when it has none."""
    values = document.get("values") if isinstance(document, Mapping) else None
    if not isinstance(values, list):
        raise IpRangesError("The service tags have no 'values' list: expected the service-tags API answer or the "
                            "'Azure IP Ranges and Service Tags' JSON file ({\"values\": [{\"name\": ..., "
                            "\"properties\": {\"region\": ..., \"addressPrefixes\": [...]}}]}).")
    return [v for v in values if isinstance(v, Mapping)]


def _is_aml_tag_of(value: Mapping[str, Any], region: str) -> bool:
    name = str(value.get("name") or value.get("id") or "")
    props = value.get("properties") or {}
    if name.lower() == f"{AML_SERVICE}.{region}".lower():
        return True
    return name.lower().startswith(AML_SERVICE.lower() + ".") and region_key(props.get("region")) == region


def aml_prefixes(values: Sequence[Mapping[str, Any]], region: str) -> list[str]:
    """The IPv4 prefixes of tag AzureMachineLearning.<region>; IpRangesError naming the region when there are none."""
    key = region_key(region)
    found = [v for v in values if _is_aml_tag_of(v, key)]
    prefixes = ipv4_only(p for v in found for p in ((v.get("properties") or {}).get("addressPrefixes") or []))
    if not prefixes:
        what = "lists IPv6 prefixes only" if found else "is not in the service tags"
        raise IpRangesError(
            f"Region {region}: its service tag {AML_SERVICE}.<Region> {what}, so there are no IPv4 Azure Machine "
            f"Learning ranges to authorize for it (the documentation notes the query returns nothing for regions "
            f"such as {', '.join(DOCUMENTED_WITHOUT_TAG)}). Check workspace_region and paired_region, or use AKS "
            "Trusted Access (trusted_access: true) instead of authorized ranges.", region=region)
    return prefixes


def paired_region(locations: Iterable[Mapping[str, Any]], region: str) -> str | None:
    """The first paired region of ``region`` in an ARM locations listing (None: no pair); IpRangesError when unknown."""
    key = region_key(region)
    for location in locations:
        if region_key(location.get("name")) == key or region_key(location.get("displayName")) == key:
            pairs = ((location.get("metadata") or {}).get("pairedRegion") or [])
            names = [region_key(p.get("name")) for p in pairs if isinstance(p, Mapping) and p.get("name")]
            return names[0] if names else None
    raise IpRangesError(f"Region {region} is not among the subscription's locations: check workspace_region, or give "
                        "paired_region.", region=region)


@dataclass(frozen=True)
class Merge:
    """The outcome of merging the AML ranges into an existing list."""

    kept: list[str]  # the existing entries, normalised, duplicates once, in their order
    added: list[str]  # the AML ranges that were missing, sorted
    covered: list[str] = field(default_factory=list)  # AML ranges already inside a broader existing range
    regions: dict[str, list[str]] = field(default_factory=dict)  # region -> its AML IPv4 prefixes

    @property
    def ranges(self) -> list[str]:
        return self.kept + self.added

    @property
    def total(self) -> int:
        return len(self.kept) + len(self.added)


def dedupe(entries: Iterable[str]) -> list[str]:
    """Normalised entries, each once, in first-seen order."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        norm = normalise(entry)
        if norm and norm not in seen:
            seen.add(norm)
            out.append(norm)
    return out


def merge(existing: Sequence[str], wanted: Mapping[str, Sequence[str]], *,
          limit: int = MAX_AUTHORIZED_RANGES) -> Merge:
    """Add the ``wanted`` ranges (region -> IPv4 prefixes) to ``existing``, never removing one.

    A wanted range equal to, or inside, an existing IPv4 range is not added again. More than ``limit`` ranges in
    the result raises IpRangesError with the count.
    """
    kept = dedupe(existing)
    present = set(kept)
    networks = [n for n in (_network(e) for e in kept) if n is not None and n.version == 4]
    added: set[str] = set()
    covered: set[str] = set()
    for prefixes in wanted.values():
        for prefix in ipv4_only(prefixes):
            if prefix in present or prefix in added:
                continue
            net = ipaddress.ip_network(prefix)
            if any(net.subnet_of(other) for other in networks):  # type: ignore[arg-type]
                covered.add(prefix)
            else:
                added.add(prefix)
    result = Merge(kept, sorted(added, key=_sort_key), sorted(covered - added, key=_sort_key),
                   {region: ipv4_only(prefixes) for region, prefixes in wanted.items()})
    if result.total > limit:
        raise IpRangesError(
            f"The authorized IP ranges would number {result.total} ({len(kept)} existing and {len(result.added)} Azure "
            f"Machine Learning ranges to add), more than the {limit} AKS allows. Nothing was changed. Remove ranges "
            "no longer needed, or use AKS Trusted Access (trusted_access: true) instead of authorized ranges.",
            count=result.total, existing=len(kept), to_add=len(result.added), limit=limit)
    return result


def access_profile(cluster: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((cluster.get("properties") or {}).get("apiServerAccessProfile") or {})


def current_ranges(cluster: Mapping[str, Any]) -> list[str]:
    """The cluster's authorized IP ranges (``authorizedIPRanges``, capital IP), as listed."""
    return [str(r) for r in (access_profile(cluster).get("authorizedIPRanges") or [])]


def trusted_access_bindings(bindings: Iterable[Mapping[str, Any]], workspace_id: str | None = None) -> list[str]:
    """Names of the Trusted Access role bindings with the AML mlworkload role (for ``workspace_id`` when given)."""
    out = []
    for binding in bindings:
        props = binding.get("properties") or {}
        roles = [str(r).lower() for r in (props.get("roles") or [])]
        source = str(props.get("sourceResourceId") or "").rstrip("/").lower()
        if MLWORKLOAD_ROLE.lower() in roles and (not workspace_id or source == workspace_id.rstrip("/").lower()):
            out.append(str(binding.get("name") or source))
    return out


def skip_reason(cluster: Mapping[str, Any], *, trusted_access: bool = False,
                bindings: Sequence[str] = ()) -> str | None:
    """Why nothing is to be added to this cluster, or None when the AML ranges are needed."""
    profile = access_profile(cluster)
    if profile.get("enablePrivateCluster"):
        return ("The cluster is private: its API server has no public endpoint, and authorized IP ranges do not "
                "apply to private clusters.")
    if not current_ranges(cluster):
        return ("The cluster has no authorized IP ranges: its API server accepts every address, so there is nothing "
                "to add.")
    if bindings:
        return (f"Trusted Access covers Azure Machine Learning (role binding {', '.join(bindings)} with role "
                f"{MLWORKLOAD_ROLE}), so the Azure Machine Learning ranges are not needed.")
    if trusted_access:
        return ("trusted_access is true: Azure Machine Learning reaches the API server through AKS Trusted Access, so "
                "its ranges are not needed.")
    return None


def with_ranges(cluster: Mapping[str, Any], ranges: list[str]) -> dict[str, Any]:
    """The cluster body to PUT back: the same, but for ``properties.apiServerAccessProfile.authorizedIPRanges``."""
    body = dict(cluster)
    props = dict(body.get("properties") or {})
    props["apiServerAccessProfile"] = {**(props.get("apiServerAccessProfile") or {}), "authorizedIPRanges": ranges}
    body["properties"] = props
    return body
