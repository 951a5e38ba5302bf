"""Hidden tests: pages after cursors at several depths, and their cost."""

import pytest

# Where the cursor is: the last row of page N (20 rows a page).
PAGES = {"main": [1, 37, 1500, 4000], "alt": [1, 900, 2200]}
NTH_ROW = """
SELECT published_at, id FROM posts
ORDER BY published_at DESC, id DESC OFFSET $1 LIMIT 1
"""


_CURSORS = {}


def cursor(sql, dataset, page):
    """(published_at, id) of the last row on `page` (the exercise's own query),
    found once per run: a deep OFFSET is what this exercise is about avoiding."""
    if (dataset, page) not in _CURSORS:
        rows = sql.query(NTH_ROW, side="reference", dataset=dataset, params=[page * 20 - 1]).rows
        _CURSORS[dataset, page] = list(rows[0])
    return _CURSORS[dataset, page]


def explain_both(sql, dataset, page):
    """The plans of the page after `page`, once its rows are right: a fast query that
    returns the wrong page earns no points for its speed."""
    params = cursor(sql, dataset, page)
    sql.assert_same_rows(sql.student(dataset=dataset, params=params),
                         sql.reference(dataset=dataset, params=params),
                         what=f"the page after page {page} (dataset {dataset}; "
                              "its cost counts only once its rows are right)")
    return (sql.explain_student(dataset=dataset, params=params),
            sql.explain_reference(dataset=dataset, params=params))


@pytest.mark.points(4)
@pytest.mark.hint("Posts share timestamps: the cursor needs the id too, compared in the same "
                  "direction as the ORDER BY.")
def test_pages_match(sql):
    for dataset, pages in PAGES.items():
        for page in pages:
            params = cursor(sql, dataset, page)
            sql.assert_same_rows(sql.student(dataset=dataset, params=params),
                                 sql.reference(dataset=dataset, params=params),
                                 what=f"the page after page {page} (dataset {dataset})")


@pytest.mark.points(3)
@pytest.mark.hint("A page deep in the feed should cost what the second page costs: start the "
                  "index scan at the cursor instead of filtering rows on the way there.")
def test_buffers_flat_with_depth(sql):
    for dataset, pages in PAGES.items():
        first, _ = explain_both(sql, dataset, pages[0])
        deep, _ = explain_both(sql, dataset, pages[-1])
        assert deep.shared_buffers <= 2 * first.shared_buffers + 4, (
            f"dataset {dataset}: the page after page {pages[-1]} read {deep.shared_buffers} "
            f"buffers, the second page {first.shared_buffers}: the cost grows with the depth "
            f"(most of it in: {deep.biggest_scan().describe() if deep.biggest_scan() else '?'})"
        )


@pytest.mark.points(2)
@pytest.mark.hint("Row values, (a, b) < (x, y), compare like the index is sorted.")
def test_buffers_within_2x_of_target(sql):
    for dataset, pages in PAGES.items():
        for page in pages:
            mine, target = explain_both(sql, dataset, page)
            sql.assert_buffers_within(mine, target, 2,
                                      what=f"the page after page {page} ({dataset})")


@pytest.mark.points(1)
@pytest.mark.hint("The columns are id, title, published_at, with those names and in that order.")
def test_column_names(sql):
    params = cursor(sql, "main", PAGES["main"][0])
    sql.assert_same_rows(sql.student(dataset="main", params=params),
                         sql.reference(dataset="main", params=params), check_columns=True,
                         what=f"the page after page {PAGES['main'][0]}")
