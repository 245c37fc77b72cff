"""Full-text search over listings with Whoosh (whoosh-reloaded).

Public interface (the rest of the project calls only these):

    update_listings(listing_ids)        add/replace browsable listings, delete the others
    rebuild_index(progress=None) -> int build a new index aside, then swap it in atomically
    search(SearchQuery) -> SearchResults
    more_like_this(listing_id, limit=5) -> list[int]

IMPLEMENTATION IN PROGRESS: the dataclasses below are the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Facet names, in display order. Values are the stored codes:
#   ipc_section "H", ipc_class "H01", ipc_subclass "H01M", ipc_main_group "H01M 10/00",
#   fee_model (FeeModel values), licence_kinds (LicenceKind values), owner_kind (OrganisationKind values),
#   province (Province codes), open_licence ("yes"/"no"), price_band (listings.models.PRICE_BANDS names)
FACETS = (
    "ipc_section", "ipc_class", "ipc_subclass", "ipc_main_group", "fee_model", "licence_kinds", "owner_kind",
    "province", "open_licence", "price_band",
)
SORTS = ("relevance", "newest", "price_asc", "price_desc")


class SearchUnavailable(Exception):
    """The index is missing or unreadable (e.g. before the first ``rebuild_index``)."""


@dataclass
class SearchQuery:
    text: str = ""  # free text, English or Chinese; IPC codes/prefixes like "H01M" or "H01M 10/052" work too
    # facet name -> list of accepted values (OR within a facet, AND across facets)
    filters: dict[str, list[str]] = field(default_factory=dict)
    free_only: bool = False
    open_only: bool = False
    price_min_minor: int | None = None  # upfront price range, minor units
    price_max_minor: int | None = None
    sort: str = "relevance"
    page: int = 1  # 1-based
    per_page: int = 20
    facets: bool = True  # compute facet counts
    highlight: bool = True  # compute highlighted snippets for the page's hits


@dataclass
class Hit:
    listing_id: int
    score: float
    title_html: str = ""  # the title with matched terms in <mark>, HTML-escaped otherwise
    snippet_html: str = ""  # a fragment of the abstract/description with <mark>, HTML-escaped otherwise


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    # facet name -> [(value, count)] sorted by count desc, only values with count > 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    error: str = ""  # a friendly, translated message when the query could not be understood
    page: int = 1
    per_page: int = 20

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def update_listings(listing_ids: list[int]) -> None:
    raise NotImplementedError


def rebuild_index(progress=None) -> int:
    raise NotImplementedError


def search(query: SearchQuery) -> SearchResults:
    raise NotImplementedError


def more_like_this(listing_id: int, limit: int = 5) -> list[int]:
    raise NotImplementedError
