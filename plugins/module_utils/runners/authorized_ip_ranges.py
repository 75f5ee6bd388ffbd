# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aml_authorized_ip_ranges run: read the AKS cluster, decide (pure), PUT it back once, report.

``skip()`` says whether the cluster needs the Azure Machine Learning ranges at all (private, no authorized
ranges, Trusted Access); ``decide()`` merges the AML IPv4 ranges of the workspace region and its pair into
the current list (``aml/ip_ranges``) and builds the one PUT body: the cluster as read, with only
``properties.apiServerAccessProfile.authorizedIPRanges`` changed. ``apply()`` sends it (never in check mode)
and waits within wait_timeout. The one place that fails the task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, NoReturn, Sequence

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import ip_ranges
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import (
    AzureCallError,
    CollectionError,
    Refused,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.clusters import Clusters
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.service_tags import (
    ServiceTags,
    read_service_tags_file,
)

CLUSTER_TYPE = "managedClusters"
# AKS states in which another operation runs on the cluster (a PUT now would meet 409 OperationNotAllowed).
BUSY_STATES = {"creating", "updating", "upgrading", "scaling", "starting", "stopping", "migrating", "deleting"}


@dataclass
class Decision:
    """What decide() concluded."""

    before: list[str]
    after: list[str]
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    body: dict[str, Any] | None = None  # the cluster to PUT; None when nothing is missing

    @property
    def changed(self) -> bool:
        return self.body is not None

    @property
    def diff(self) -> dict[str, Any]:
        return {"before": {"authorized_ip_ranges": self.before}, "after": {"authorized_ip_ranges": self.after}}


def regions_for(workspace_region: str, paired_region: str | None) -> list[str]:
    """The regions whose AML ranges go in: the workspace region, then its pair (once)."""
    out = [ip_ranges.region_key(workspace_region)]
    if paired_region and ip_ranges.region_key(paired_region) not in out:
        out.append(ip_ranges.region_key(paired_region))
    return out


def decide(cluster: Mapping[str, Any], regions: Sequence[str], tag_values: Sequence[Mapping[str, Any]]) -> Decision:
    """The merged list and the PUT body for a cluster that needs the AML ranges (pure; raises IpRangesError)."""
    before = ip_ranges.current_ranges(cluster)
    wanted = {region: ip_ranges.aml_prefixes(tag_values, region) for region in regions}
    merged = ip_ranges.merge(before, wanted)
    body = ip_ranges.with_ranges(cluster, merged.ranges) if merged.added else None
    return Decision(before, merged.ranges if merged.added else before, merged.added, merged.kept, merged.covered,
                    body)


class AuthorizedIpRangesRunner:
    """One run of aml_authorized_ip_ranges."""

    def __init__(self, azure: Any) -> None:
        self.azure = azure
        self.p = azure.params
        self.clusters = Clusters(azure, CLUSTER_TYPE, self.p["resource_group"], self.p["cluster_name"])
        self.tags = ServiceTags(azure)
        self.notes: list[str] = []

    def run(self) -> NoReturn:
        try:
            self.main()
        except ip_ranges.IpRangesError as exc:
            self.azure.fail(exc.message, **exc.details)
        except CollectionError as exc:
            self.azure.fail_error(exc)

    # --- gather
    def cluster(self) -> dict[str, Any]:
        """The cluster, after any operation running on it ended (wait: true)."""
        found = self.clusters.resource()
        if found is None:
            raise self.clusters.not_found()
        if self.state(found) not in BUSY_STATES:
            return found
        running = (found.get("properties") or {}).get("provisioningState")
        if not self.azure.waiter.enabled:
            raise Refused(f"An operation runs on cluster {self.clusters.where} ({running}): run the task again when "
                          "it ends, or set wait: true to wait for it.")
        return self.azure.waiter.until(
            lambda: self.clusters.resource() or {}, lambda c: self.state(c) not in BUSY_STATES,
            f"the operation running on cluster {self.clusters.where} ({running}) to end")

    @staticmethod
    def state(cluster: Mapping[str, Any]) -> str:
        return str((cluster.get("properties") or {}).get("provisioningState") or "").lower()

    def bindings(self, cluster: Mapping[str, Any]) -> list[str]:
        """The mlworkload Trusted Access bindings (read only when trusted_access is unset and ranges matter)."""
        if self.p["trusted_access"] is not None or ip_ranges.skip_reason(cluster) is not None:
            return []
        try:
            found = self.clusters.trusted_access_bindings()
        except AzureCallError as exc:
            if (exc.details.get("error") or {}).get("status_code") != 404:
                raise
            self.notes.append("Trusted Access role bindings could not be read here (Azure does not serve them for "
                              "this cluster or cloud); set trusted_access to say whether Trusted Access applies.")
            return []
        return ip_ranges.trusted_access_bindings(found, self.p["workspace_id"])

    def paired(self, workspace_region: str) -> str | None:
        if self.p["paired_region"]:
            return self.p["paired_region"]
        pair = ip_ranges.paired_region(self.tags.locations(), workspace_region)
        if pair is None:
            self.notes.append(f"Region {workspace_region} has no paired region: only its own ranges are added.")
        return pair

    def tag_values(self, location: str) -> list[dict[str, Any]]:
        if self.p["service_tags_file"]:
            return ip_ranges.tag_values(read_service_tags_file(self.p["service_tags_file"]))
        return ip_ranges.tag_values(self.tags.service_tags(location))

    # --- the run
    def main(self) -> NoReturn:
        cluster = self.cluster()
        bindings = self.bindings(cluster)
        reason = ip_ranges.skip_reason(cluster, trusted_access=bool(self.p["trusted_access"]), bindings=bindings)
        current = ip_ranges.current_ranges(cluster)
        if reason is not None:
            self.finish(cluster, Decision(current, current, kept=ip_ranges.dedupe(current)), reason=reason,
                        bindings=bindings)
        workspace_region = self.p["workspace_region"] or str(cluster.get("location") or "")
        if not self.p["workspace_region"]:
            self.notes.append(f"workspace_region not given: the cluster's region {workspace_region} is used.")
        regions = regions_for(workspace_region, self.paired(workspace_region))
        decision = decide(cluster, regions, self.tag_values(regions[0]))
        self.apply(cluster, decision, regions)

    def apply(self, cluster: dict[str, Any], decision: Decision, regions: list[str]) -> NoReturn:
        if decision.body is None or self.azure.check_mode:
            self.finish(cluster, decision, regions=regions)
        result = self.clusters.put_managed_cluster(decision.body)
        if result is not None and self.state(result) == "failed":
            raise CollectionError(f"The update of cluster {self.clusters.where} ended Failed; its authorized IP "
                                  "ranges may not have changed. Look at the cluster's activity log, then run again.")
        self.finish(result or cluster, decision, regions=regions)

    # --- report
    def finish(self, cluster: Mapping[str, Any], decision: Decision, *, reason: str | None = None,
               regions: Sequence[str] = (), bindings: Sequence[str] = ()) -> NoReturn:
        result: dict[str, Any] = dict(
            changed=decision.changed, skipped_reason=reason,
            added=decision.added, kept=decision.kept, covered=decision.covered, total=len(decision.after),
            authorized_ip_ranges=decision.after, regions=list(regions), trusted_access_bindings=list(bindings),
            notes=self.notes,
            cluster={"id": cluster.get("id"), "name": cluster.get("name") or self.p["cluster_name"],
                     "location": cluster.get("location"),
                     "provisioning_state": (cluster.get("properties") or {}).get("provisioningState")})
        if self.azure.diff_mode:
            result["diff"] = decision.diff
        self.azure.exit(**result)
