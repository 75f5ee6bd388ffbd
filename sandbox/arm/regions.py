"""Azure regions the sandbox knows: display names, geography, coordinates and the real region pairs."""
from __future__ import annotations

from typing import NamedTuple, Optional


class Region(NamedTuple):
    name: str
    display: str
    tag: str  # the suffix in regional service tags (AzureMachineLearning.EastUS2)
    geography_group: str
    geography: str
    physical: str
    latitude: str
    longitude: str
    pair: Optional[str]
    # Whether the service tags list AzureMachineLearning.<tag> for it. The documentation notes that
    # `az network list-service-tags` returns no AzureMachineLearning entry for US-Virginia, US-Arizona and
    # China-East-2 (their clouds' regions, listed here so that tests meet a region without the tag).
    aml_tag: bool = True


REGIONS: dict[str, Region] = {r.name: r for r in [
    Region("eastus", "East US", "EastUS", "US", "United States", "Virginia", "37.3719", "-79.8164", "westus"),
    Region("westus", "West US", "WestUS", "US", "United States", "California", "37.783", "-122.417", "eastus"),
    Region("eastus2", "East US 2", "EastUS2", "US", "United States", "Virginia", "36.6681", "-78.3889", "centralus"),
    Region("centralus", "Central US", "CentralUS", "US", "United States", "Iowa", "41.5908", "-93.6208", "eastus2"),
    Region("westus2", "West US 2", "WestUS2", "US", "United States", "Washington", "47.233", "-119.852", "westcentralus"),
    Region("westcentralus", "West Central US", "WestCentralUS", "US", "United States", "Wyoming", "40.89", "-110.234", "westus2"),
    Region("southcentralus", "South Central US", "SouthCentralUS", "US", "United States", "Texas", "29.4167", "-98.5", "northcentralus"),
    Region("northcentralus", "North Central US", "NorthCentralUS", "US", "United States", "Illinois", "41.8819", "-87.6278", "southcentralus"),
    Region("westus3", "West US 3", "WestUS3", "US", "United States", "Phoenix", "33.448376", "-112.074036", "eastus"),
    Region("westeurope", "West Europe", "WestEurope", "Europe", "Europe", "Netherlands", "52.3667", "4.9", "northeurope"),
    Region("northeurope", "North Europe", "NorthEurope", "Europe", "Europe", "Ireland", "53.3478", "-6.2597", "westeurope"),
    Region("uksouth", "UK South", "UKSouth", "UK", "United Kingdom", "London", "50.941", "-0.799", "ukwest"),
    Region("ukwest", "UK West", "UKWest", "UK", "United Kingdom", "Cardiff", "53.427", "-3.084", "uksouth"),
    Region("francecentral", "France Central", "FranceCentral", "Europe", "France", "Paris", "46.3772", "2.373", "francesouth"),
    Region("francesouth", "France South", "FranceSouth", "Europe", "France", "Marseille", "43.8345", "2.1972", "francecentral"),
    Region("germanywestcentral", "Germany West Central", "GermanyWestCentral", "Europe", "Germany", "Frankfurt", "50.110924", "8.682127", "germanynorth"),
    Region("germanynorth", "Germany North", "GermanyNorth", "Europe", "Germany", "Berlin", "53.073635", "8.806422", "germanywestcentral"),
    Region("japaneast", "Japan East", "JapanEast", "Asia Pacific", "Japan", "Tokyo, Saitama", "35.68", "139.77", "japanwest"),
    Region("japanwest", "Japan West", "JapanWest", "Asia Pacific", "Japan", "Osaka", "34.6939", "135.5022", "japaneast"),
    Region("australiaeast", "Australia East", "AustraliaEast", "Asia Pacific", "Australia", "New South Wales", "-33.86", "151.2094", "australiasoutheast"),
    Region("australiasoutheast", "Australia Southeast", "AustraliaSoutheast", "Asia Pacific", "Australia", "Victoria", "-37.8136", "144.9631", "australiaeast"),
    Region("southeastasia", "Southeast Asia", "SoutheastAsia", "Asia Pacific", "Asia Pacific", "Singapore", "1.283", "103.833", "eastasia"),
    Region("eastasia", "East Asia", "EastAsia", "Asia Pacific", "Asia Pacific", "Hong Kong", "22.267", "114.188", "southeastasia"),
    Region("canadacentral", "Canada Central", "CanadaCentral", "Canada", "Canada", "Toronto", "43.653", "-79.383", "canadaeast"),
    Region("canadaeast", "Canada East", "CanadaEast", "Canada", "Canada", "Quebec", "46.817", "-71.217", "canadacentral"),
    Region("swedencentral", "Sweden Central", "SwedenCentral", "Europe", "Sweden", "Gävle", "60.67488", "17.14127", "swedensouth"),
    Region("swedensouth", "Sweden South", "SwedenSouth", "Europe", "Sweden", "Malmo", "55.60534", "13.00073", "swedencentral"),
    Region("usgovvirginia", "USGov Virginia", "USGovVirginia", "US Gov", "United States", "Virginia", "37.3719",
           "-79.8164", "usgovtexas", aml_tag=False),
    Region("usgovtexas", "USGov Texas", "USGovTexas", "US Gov", "United States", "Texas", "29.4167", "-98.5",
           "usgovvirginia", aml_tag=False),
    Region("usgovarizona", "USGov Arizona", "USGovArizona", "US Gov", "United States", "Arizona", "33.4484",
           "-112.074", "usgovtexas", aml_tag=False),
    Region("chinaeast2", "China East 2", "ChinaEast2", "China", "China", "Shanghai", "31.2304", "121.4737",
           "chinanorth2", aml_tag=False),
    Region("chinanorth2", "China North 2", "ChinaNorth2", "China", "China", "Beijing", "39.9042", "116.4074",
           "chinaeast2", aml_tag=False),
]}


def lookup(name: str) -> Optional[Region]:
    """Accept 'eastus', 'East US' and 'EastUS'."""
    key = name.replace(" ", "").lower()
    return REGIONS.get(key)
