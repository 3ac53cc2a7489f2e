"""``trainwell recommend MODEL USER... [--seen ratings.csv]``: the best items for users; ``--from-items`` for
someone known only by the items they chose; ``--similar-to`` for an item's neighbours.

Registered on the main command line by ``app.command("recommend")(recommend)``. Loads only the artifact and
the ratings recipe (no training code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli._common import ENCODING_HELP, emit_table, err_console, guarded


def recommend(
    model: Annotated[
        Path,
        typer.Argument(
            help="Model directory of a recommender (trainwell fit ratings.csv --user ... --item ...)."
        ),
    ],
    users: Annotated[
        list[str] | None, typer.Argument(help="User ids to recommend for (as in the training table).")
    ] = None,
    top: Annotated[int, typer.Option(help="Items per user (or neighbours with --similar-to).", min=1)] = 10,
    seen: Annotated[
        Path | None,
        typer.Option(
            help="A ratings table (user and item columns): also leave out what each user rated there, e.g. "
            "since the model was fitted (what they rated in its own data is left out anyway)."
        ),
    ] = None,
    include_seen: Annotated[
        bool,
        typer.Option(
            "--include-seen",
            help="Keep the items each user already chose in the data the model was fitted on (left out by "
            "default).",
        ),
    ] = False,
    similar_to: Annotated[
        str | None, typer.Option(help="Instead of users: list the items most similar to this item.")
    ] = None,
    from_items: Annotated[
        str | None,
        typer.Option(
            help="Instead of users: recommend for someone who chose these items (comma-separated ids; an id "
            "holding a comma in double quotes: '\"a, b\",c'), e.g. a new visitor's basket."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write, in the format its name says: .csv, .tsv, .parquet, .json, .jsonl or .xlsx (text ones "
            "optionally .gz). Default: CSV on standard output."
        ),
    ] = None,
    item_names: Annotated[
        Path | None,
        typer.Option(
            help="A table of the items' names, to list each item with its name: MovieLens' u.item (the id, then "
            "the name; no header row, '|' between fields: pass --encoding latin-1), or a table with the model's "
            "item column and a name or title column."
        ),
    ] = None,
    min_users: Annotated[
        int | None,
        typer.Option(
            help="--similar-to, --from-items: draw the neighbours from items at least this many users chose "
            "(default: as many as the median item, at least 5; a film few people rated has factors those few "
            "alone shaped); 1 keeps every item.",
            min=1,
        ),
    ] = None,
    encoding: Annotated[str, typer.Option(help="--seen, --item-names: " + ENCODING_HELP)] = "utf-8",
    encoding_errors: Annotated[
        str,
        typer.Option(
            help="--seen, --item-names: 'replace' reads bytes the encoding cannot decode as U+FFFD instead of "
            "stopping ('strict')."
        ),
    ] = "strict",
) -> None:
    """Rank items for users (best first), for a basket of items (--from-items), or list an item's nearest
    neighbours (--similar-to)."""

    def run() -> None:
        from trainwell.cli._early import check_text_options, need_data, need_model_directory
        from trainwell.core.errors import ConfigError

        # What the command line can check alone comes first, the imports of the model's stack after.
        check_text_options(encoding, encoding_errors)
        need_model_directory(model)
        from trainwell.cli._common import check_table_out

        check_table_out(out)
        from trainwell.cli._outputs import check_out_file

        check_out_file(out, [seen] if seen else [])  # never over the ratings it reads, nor inside the model
        chosen = [
            name
            for name, value in (
                ("user ids", users),
                ("--similar-to", similar_to),
                ("--from-items", from_items),
            )
            if value
        ]
        if len(chosen) > 1:
            raise ConfigError(
                f"pass one of user ids, --similar-to ITEM or --from-items IDS, not {' and '.join(chosen)}"
            )
        if from_items is not None and seen is not None:
            raise ConfigError("--seen is for user ids; with --from-items the basket's items are left out")
        if not chosen:
            raise ConfigError("name at least one user id, e.g. trainwell recommend model/ 196")
        _refuse_unread(
            chosen[0],
            seen=seen,
            include_seen=include_seen,
            encoding=encoding,
            errors=encoding_errors,
            reads_files=seen is not None or item_names is not None,
        )
        for source in (seen, item_names):
            if source is not None:
                need_data(source, "table")
        import pandas as pd

        from trainwell.collab.ranking import unknown_id_hint
        from trainwell.export import read_metadata
        from trainwell.export.predictor import load, refuse_generic

        refuse_generic(read_metadata(model), model, "trainwell recommend")
        predictor = load(model)
        if getattr(predictor, "application", None) != "collab":
            raise ConfigError(
                f"'{model}' is a {getattr(predictor, 'application', '?')} model; trainwell recommend needs a "
                "recommender (trainwell fit ratings.csv --user USER_COL --item ITEM_COL)"
            )
        neighbours = {"min_users": min_users}
        if similar_to is not None:
            table = predictor.similar_items(similar_to.strip() or similar_to, k=top, **neighbours)
            _say_floor(table, min_users)
        elif from_items is not None:
            ids = [_item_id(part) for part in _basket(from_items)]
            table = predictor.recommend_from_items(ids, k=top, **neighbours)
            _say_floor(table, min_users)
        else:
            if min_users is not None:
                raise ConfigError(
                    "--min-users is for --similar-to and --from-items (neighbours by their factors); a user's "
                    "ranking scores every item: drop it"
                )
            rated = _seen_items(predictor, seen, encoding, encoding_errors) if seen is not None else {}
            parts = []
            left_out = from_seen = 0
            recipe = predictor.recipe
            import warnings

            from trainwell.collab.predictor import nothing_left
            from trainwell.collab.ranking import folded_in_validation

            # an id typed with spaces around it ("user 196 ") is stripped, as the cells of a CSV are
            for user in [one.strip() or one for one in users or []]:  # some, as checked above
                exclude = rated.get(_user_key(recipe, user), ())
                with warnings.catch_warnings():  # said below in the command line's words (--include-seen)
                    warnings.filterwarnings("ignore", message="nothing left to recommend")
                    ranking = predictor.recommend(user, k=top, exclude=exclude, include_seen=include_seen)
                if not len(ranking) and ranking.attrs.get("seen_left_out", 0):
                    err_console.print(
                        nothing_left(user, int(ranking.attrs["seen_left_out"]), False, "--include-seen"),
                        soft_wrap=True,
                        markup=False,
                    )
                if len(ranking) and not ranking["known_user"].all():
                    folded = folded_in_validation(predictor)
                    err_console.print(
                        f"user {user!r} was not in the training ratings "
                        f"({unknown_id_hint(user, recipe.users, 'users', folded=folded)}): ranked for the average "
                        "user",
                        soft_wrap=True,
                        markup=False,
                    )
                ranking.insert(0, recipe.user_col, user)
                parts.append(ranking)
                left_out += int(ranking.attrs.get("seen_left_out", 0))  # not counting those --seen names too
                from_seen += len({code for code in recipe.item_codes(exclude).tolist() if code > 0})
            table = pd.concat(parts, ignore_index=True)
            if left_out or from_seen:
                who = "these users" if len(parts) > 1 else "this user"  # "these users" for one read as a slip
                kept = "; --include-seen ranks those the model remembers too" if left_out else ""
                said = (
                    f"left out {_items(left_out + from_seen)} {who} already chose: {from_seen:,} in --seen, "
                    f"{left_out:,} more from the data the model was fitted on (the model remembers them){kept}"
                    if seen is not None
                    else f"left out {_items(left_out)} {who} already chose in the data the model was fitted "
                    "on (the model remembers them); --include-seen ranks them too"
                )
                err_console.print(said, soft_wrap=True, markup=False)
        if item_names is not None:
            table = _with_names(table, predictor.recipe, item_names, encoding, encoding_errors)
        else:
            from trainwell.collab.names import stored_item_names

            stored = stored_item_names(model)  # the names fit kept from the ratings folder (u.item)
            if stored:
                table = _named(table, predictor.recipe, stored)
        emit_table(table, out)

    guarded(run)


def _items(count: int) -> str:
    """``1 item``, ``30 items``: "left out 1 items" was said."""
    return f"{count:,} item{'' if count == 1 else 's'}"


def _say_floor(table: Any, min_users: int | None) -> None:
    """Say the default floor on neighbours' users, which scales with the data (``--min-users`` sets it)."""
    floor = table.attrs.get("min_users")
    if min_users is None and floor is not None and floor > 1:
        err_console.print(
            f"neighbours drawn from items at least {floor:,} users chose (as many as the median item); "
            "--min-users 1 keeps every item",
            soft_wrap=True,
            markup=False,
        )


def _refuse_unread(
    chosen: str, *, seen: Path | None, include_seen: bool, encoding: str, errors: str, reads_files: bool
) -> None:
    """Refuse the options what is ``chosen`` (user ids, --similar-to or --from-items) never reads: --seen and
    --include-seen are for user ids; --encoding and --encoding-errors read --seen and --item-names alone
    (``reads_files``: one of them is given)."""
    from trainwell.cli._fit_data import refuse_unread
    from trainwell.cli._unread import names_utf8, refuse_for

    if chosen != "user ids":
        given = {"--seen": seen is not None, "--include-seen": include_seen}
        refuse_for(given, {"--seen": "user ids", "--include-seen": "user ids"}, chosen)
    if not reads_files:
        given = {"--encoding": not names_utf8(encoding), "--encoding-errors": errors != "strict"}
        refuse_unread(
            given,
            ("--encoding", "--encoding-errors"),
            "recommend without --seen or --item-names (the only files it reads)",
        )


def _basket(text: str) -> list[str]:
    """The ids of ``--from-items``: comma-separated, read as one CSV row, so an id holding a comma is given in
    double quotes (``'"Se7en, the movie",42'``) rather than split into two ids that match nothing."""
    import csv

    row = next(csv.reader([text], skipinitialspace=True), [])
    return [part.strip() for part in row if part.strip()]


def _item_id(text: str) -> Any:
    """An id typed on the command line, matched like the training ids (``50`` is the item 50)."""
    from trainwell.collab.ranking import item_id

    return item_id(text)


def _user_key(recipe: Any, user: Any) -> str:
    """Who ``user`` is to the model: its training key (so "196.0" is the user 196), or its own key if new."""
    from trainwell.data.categories import category_key

    code = int(recipe.user_codes([user])[0])
    return recipe.users[code - 1] if code > 0 else category_key(user)


def _seen_items(predictor: Any, path: Path, encoding: str, encoding_errors: str) -> dict[str, list[Any]]:
    """Each user's rated items in the ratings table ``path`` (a header-less file has the model's columns), read
    in ``encoding`` (``encoding_errors`` ``"replace"`` reads a byte it cannot decode as U+FFFD)."""
    from trainwell.collab.data import read_model_ratings
    from trainwell.core.errors import DataError
    from trainwell.data.io import list_columns

    recipe = predictor.recipe
    table = read_model_ratings(path, recipe, encoding=encoding, encoding_errors=encoding_errors)
    absent = [name for name in (recipe.user_col, recipe.item_col) if name not in table.columns]
    if absent:
        raise DataError(
            f"--seen {path} has no column {', '.join(repr(a) for a in absent)}; it needs the training table's "
            f"user and item columns ({recipe.user_col!r}, {recipe.item_col!r}); its columns are "
            f"{list_columns([str(c) for c in table.columns])}"
        )
    from trainwell.data.categories import category_key

    grouped: dict[str, list[Any]] = {}
    users = table[recipe.user_col].tolist()
    codes = recipe.user_codes(users).tolist()
    for user, code, item in zip(users, codes, table[recipe.item_col].tolist(), strict=True):
        grouped.setdefault(recipe.users[code - 1] if code > 0 else category_key(user), []).append(item)
    return grouped


def _with_names(table: Any, recipe: Any, path: Path, encoding: str, encoding_errors: str) -> Any:
    """``table`` with a ``name`` column after each item id: its name in the table ``path``
    (:func:`~trainwell.collab.names.read_item_names`; an empty cell for an item it does not name)."""
    from trainwell.collab.names import read_item_names
    from trainwell.core.errors import DataError
    from trainwell.data.categories import category_key

    errors: Any = encoding_errors  # checked: strict or replace
    lookup = read_item_names(path, recipe.item_col, encoding=encoding, encoding_errors=errors)
    shown = "item" if "item" in table.columns else recipe.item_col
    keys = [category_key(item) for item in table[shown]]
    if keys and not any(key in lookup for key in keys):
        raise DataError(
            f"--item-names {path} names none of these items: it holds ids like "
            f"{', '.join(map(repr, list(lookup)[:3]))}, the model's items are like {', '.join(map(repr, keys[:3]))}"
        )
    return _named(table, recipe, lookup)


def _named(table: Any, recipe: Any, lookup: dict[str, str]) -> Any:
    """``table`` with a ``name`` column after its item ids, from ``lookup`` (id key -> name; an empty cell for
    an item it does not name)."""
    from trainwell.data.categories import category_key

    shown = "item" if "item" in table.columns else recipe.item_col
    keys = [category_key(item) for item in table[shown]]
    table = table.drop(columns="name") if "name" in table.columns else table.copy()  # the predictor's own
    table.insert(list(table.columns).index(shown) + 1, "name", [lookup.get(key, "") for key in keys])
    return table
