"""Command line: ``massmove config-template | check-config CFG | fidelity PRODUCT TRUTH |
audit PROVENANCE``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from massmove.config import config_template, load_schema, load_yaml
from massmove.errors import MassmoveError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``massmove`` command."""
    parser = argparse.ArgumentParser(prog="massmove", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("config-template", help="print the default config, commented, from the schema")
    check = commands.add_parser("check-config", help="validate a (partial) config and print the full one")
    check.add_argument("config")
    fidelity = commands.add_parser("fidelity", help="compare an interferogram product with a truth raster")
    fidelity.add_argument("product")
    fidelity.add_argument("truth")
    fidelity.add_argument("--min-coherence", type=float, default=0.5)
    audit = commands.add_parser(
        "audit",
        help="rerun the config of a provenance record and compare every product (exit 1: not reproduced)",
    )
    audit.add_argument("provenance", help="RUN/results/provenance.json")
    audit.add_argument("--cores", type=int, default=None, help="cores of the rerun (default: all)")
    audit.add_argument("--workdir", help="rerun here and keep it (default: a temporary directory)")
    audit.add_argument(
        "--snakefile", help="workflow to rerun with (default: this massmove's own; never the record's)"
    )
    audit.add_argument(
        "--float-atol",
        type=float,
        default=None,
        help="accept GeoTIFF pixels and model weights within this absolute difference (other device)",
    )
    audit.add_argument("--json", help="also write the report as JSON here")
    args = parser.parse_args(argv)
    try:
        if args.command == "config-template":
            sys.stdout.write(config_template(load_schema()))
        elif args.command == "check-config":
            from massmove.preflight import check_run_config

            print(json.dumps(check_run_config(load_yaml(args.config)), indent=2))
        elif args.command == "fidelity":
            from massmove.fidelity import product_fidelity

            result = product_fidelity(args.product, args.truth, min_coherence=args.min_coherence)
            print(json.dumps(result, indent=2))
        elif args.command == "audit":
            return _audit(args)
    except MassmoveError as err:
        print(f"massmove: error: {err}", file=sys.stderr)
        return 1
    return 0


def _audit(args: argparse.Namespace) -> int:
    from massmove.audit import Tolerance, audit, default_cores, format_report, write_audit

    result = audit(
        args.provenance,
        cores=args.cores or default_cores(),
        workdir=args.workdir,
        snakefile=args.snakefile,
        tolerance=Tolerance(float_atol=args.float_atol),
    )
    sys.stdout.write(format_report(result))
    if args.json:
        write_audit(result, args.json)
    return 0 if result.ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
