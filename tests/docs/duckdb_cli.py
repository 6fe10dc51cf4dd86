"""Runs what `duckdb -c A -c B ...` runs, in one DuckDB session, with DuckDB's Python package
(the test machines have no DuckDB CLI): `.read FILE` runs the file's statements, anything
else is SQL whose rows are fetched. Prints one JSON object, the rows each command returned;
exits 1 with the failing command and DuckDB's message when one fails.

Usage: duckdb_cli.py COMMAND...   (run from the directory the docs say to run it from)
"""

import json
import sys

import duckdb


def main(commands):
    con = duckdb.connect()
    rows = []
    for command in commands:
        try:
            if command.startswith(".read "):
                with open(command[len(".read "):].strip(), encoding="utf-8") as f:
                    con.execute(f.read())
                rows.append(None)
            else:
                result = con.sql(command)
                rows.append(None if result is None else len(result.fetchall()))
        except duckdb.Error as e:
            print(f"{command!r}: {e}", file=sys.stderr)
            return 1
    print(json.dumps({"rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
