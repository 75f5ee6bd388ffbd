# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import rest
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError


class Answer:
    def __init__(self, status, body=None, text=None):
        self.status_code, self.body, self.text_ = status, body, text

    def json(self):
        if self.text_ is not None:
            raise ValueError("Expecting value: line 1 column 1 (char 0)")
        return self.body


class Pipeline:
    """Stands in for azure-core's PipelineClient: answers by URL, records what was asked."""

    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def send_request(self, request):
        self.asked.append(request.url)
        return self.answers[request.url]


def reader(answers):
    r = rest.ArmReader("https://arm.example/", credential=None, scope="s", verify=True)
    r._client = Pipeline(answers)  # pylint: disable=protected-access
    return r


def url(path, version="2023-05-01"):
    return f"https://arm.example{path}?api-version={version}"


def test_url_sets_the_api_version_on_paths_and_next_links():
    r = reader({})
    assert r.url("/subscriptions/x/providers/A/b", "2026-08-01") == \
        "https://arm.example/subscriptions/x/providers/A/b?api-version=2026-08-01"
    link = r.url("https://arm.example/subscriptions/x/p?api-Version=2020-01-01&$skipToken=100", "2026-05-01")
    assert parse_qs(urlsplit(link).query) == {"$skipToken": ["100"], "api-version": ["2026-05-01"]}
    assert "$skipToken=100" in link


def test_resource_path_quotes_each_segment():
    assert rest.resource_path("subscriptions", "s", "resourceGroups", "rg one", "x/y") == \
        "/subscriptions/s/resourceGroups/rg%20one/x%2Fy"


def test_get_answers_json_and_none_for_a_missing_resource():
    r = reader({url("/a"): Answer(200, {"id": "/a", "unknownToAnySdk": 1}), url("/gone"): Answer(404)})
    assert r.get("/a", "2023-05-01", "read a") == {"id": "/a", "unknownToAnySdk": 1}
    assert r.get("/gone", "2023-05-01", "read gone") is None


def test_an_answer_that_is_not_json_names_the_action():
    r = reader({url("/a"): Answer(200, text="<html>proxy error</html>")})
    with pytest.raises(AzureCallError, match="read extension a"):
        r.get("/a", "2023-05-01", "read extension a")


def test_an_answer_that_is_not_an_object_is_refused():
    r = reader({url("/a"): Answer(200, ["a", "list"]), url("/n"): Answer(200, None)})
    for path in ("/a", "/n"):
        with pytest.raises(AzureCallError, match="read it"):
            r.get(path, "2023-05-01", "read it")


def test_list_follows_next_links_and_a_missing_parent_is_none():
    second = "https://arm.example/l?$skipToken=2&api-version=2023-05-01"
    r = reader({url("/l"): Answer(200, {"value": [{"n": 1}], "nextLink": "https://arm.example/l?$skipToken=2"}),
                second: Answer(200, {"value": [{"n": 2}, None]}), url("/none"): Answer(404)})
    assert [i["n"] for i in r.list("/l", "2023-05-01", "list")] == [1, 2]
    assert r.list("/none", "2023-05-01", "list") is None


def test_list_that_never_ends_is_refused_with_the_action():
    loop = "https://arm.example/l?$skipToken=1"
    r = reader({url("/l"): Answer(200, {"value": [], "nextLink": loop}),
                "https://arm.example/l?$skipToken=1&api-version=2023-05-01": Answer(200, {"value": [], "nextLink": loop})})
    with pytest.raises(AzureCallError, match="list the extensions"):
        r.list("/l", "2023-05-01", "list the extensions")


# --- paging
def test_walk_pages_follows_next_link_until_null():
    pages = {"/first": {"value": [{"n": 1}, {"n": 2}], "nextLink": "https://arm/x?$skipToken=2"},
             "https://arm/x?$skipToken=2": {"value": [{"n": 3}], "nextLink": "https://arm/x?$skipToken=3"},
             "https://arm/x?$skipToken=3": {"value": [], "nextLink": None}}
    asked = []

    def get_page(page_url):
        asked.append(page_url)
        return pages[page_url]

    assert [i["n"] for i in rest.walk_pages(get_page, "/first")] == [1, 2, 3]
    assert asked == list(pages)


def test_walk_pages_absent_next_link_and_junk_items():
    assert list(rest.walk_pages(lambda page_url: {"value": [{"a": 1}, None, "x"]}, "/only")) == [{"a": 1}]
    assert list(rest.walk_pages(lambda page_url: {}, "/empty")) == []


def test_walk_pages_refuses_a_loop():
    with pytest.raises(rest.PagingError, match="does not end"):
        list(rest.walk_pages(lambda page_url: {"value": [], "nextLink": "https://arm/same"}, "/first"))


def test_a_404_can_be_an_error_that_keeps_its_status():
    class NotFoundAnswer:
        status_code, reason, headers, content_type = 404, "Not Found", {}, "application/json"

        def text(self, encoding=None):
            return '{"error": {"code": "NotFound", "message": "not served here"}}'

        def body(self):
            return self.text().encode()

        def json(self):
            return {"error": {"code": "NotFound", "message": "not served here"}}

    r = reader({url("/bindings"): NotFoundAnswer()})
    assert r.list("/bindings", "2023-05-01", "list the bindings") is None
    with pytest.raises(AzureCallError, match="list the bindings") as raised:
        r.list("/bindings", "2023-05-01", "list the bindings", missing_is_none=False)
    assert raised.value.details["error"]["status_code"] == 404
