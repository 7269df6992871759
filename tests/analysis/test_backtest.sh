#!/usr/bin/env bash
# The one-year backtest 2022 -> 2023 at full scale (inputs/korea/base2022: the registered Dec 2022
# population, the 2023 rates), scored by analysis/score.py against the registered Dec 2023
# residents: popsim must beat "no change" clearly at the cell level and on the national total.
# In-sample for the rates (docs/validation.md). Also checks the score command's refusals.
# Needs POPSIM, MPIEXEC and POPSIM_SOURCE_DIR from CTest; Debian's /usr/bin/python3.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
src=$POPSIM_SOURCE_DIR
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
fail() { echo "FAIL: $*" >&2; exit 1; }
py=/usr/bin/python3
observed="$src/inputs/korea/observed/mois_resident_sgg_sex_age5_2022_2023_long.csv"

timeout 900 "$MPIEXEC" -n 2 --oversubscribe --bind-to none "$POPSIM" run "$src/inputs/korea/base2022/baseline.toml" \
  --years 1 --out "$work/bt" >"$work/bt.log" 2>&1 || fail "backtest run: $(tail -5 "$work/bt.log")"
$py "$src/analysis/score.py" "$work/bt/results.h5" --observed "$observed" --year 2023 --json "$work/score.json" \
  >"$work/score.txt" || fail "score.py failed: $(cat "$work/score.txt")"
cat "$work/score.txt"
$py - "$work/score.json" <<'PY' || fail "the backtest does not beat no change"
import json, sys
s = json.load(open(sys.argv[1]))
f = {x["name"].split(" (")[0]: x for x in s["forecasts"]}
popsim, same = f["popsim"], f["no change"]
# The base state scored against itself would be exact; one year on, ageing alone moves a fifth of
# every 5-year group: popsim must cut the cell error of "no change" by at least a third.
assert popsim["cell_wape_pct"] < 2.0 / 3.0 * same["cell_wape_pct"], (popsim, same)
assert abs(popsim["national_error_pct"]) < 0.05, popsim
assert popsim["region_mape_pct"] < same["region_mape_pct"], (popsim, same)
PY
# The start state is the registered Dec 2022 population exactly.
$py "$src/analysis/score.py" "$work/bt/results.h5" --observed "$observed" --year 2022 --json "$work/base.json" >/dev/null \
  || fail "scoring the start state failed"
$py -c "import json,sys; s=json.load(open(sys.argv[1])); p=[x for x in s['forecasts'] if x['name'].startswith('popsim')][0]; assert p['cell_wape_pct']==0 and p['national_error']==0, p" \
  "$work/base.json" || fail "the start state is not the registered Dec 2022 population"
# Households of the same run: registered households by si/gun/gu and one-person households by
# province x sex x 10-year age (inputs/korea/observed, inputs/prep_households.py), popsim's change
# 2022 -> 2023 applied to the observed 2022 values. popsim must beat "no change" and "last change
# repeated" (2022 + (2022 - 2021)) on the region MAPE of households and the cell WAPE of one-person
# households.
$py "$src/analysis/score.py" "$work/bt/results.h5" --households "$src/inputs/korea/observed" --year 2023 \
  --json "$work/households.json" >"$work/households.txt" || fail "score.py --households failed: $(cat "$work/households.txt")"
cat "$work/households.txt"
$py - "$work/households.json" <<'PY' || fail "the household backtest does not beat the naive forecasts"
import json, sys
s = json.load(open(sys.argv[1]))
f = {x["name"].split(" (")[0]: x for x in s["forecasts"]}
popsim, same, repeat = f["popsim"], f["no change"], f["last change repeated"]
assert same["available"] and repeat["available"], (same, repeat)
for naive in (same, repeat):
    assert popsim["households_region_mape_pct"] < naive["households_region_mape_pct"], (popsim, naive)
    assert popsim["one_person_cell_wape_pct"] < naive["one_person_cell_wape_pct"], (popsim, naive)
PY
# Refusals: exit 2 with the file named.
set +e
$py "$src/analysis/score.py" "$work/missing.h5" --observed "$observed" --year 2023 >"$work/e1" 2>&1
[[ $? -eq 2 ]] && grep -q "missing.h5" "$work/e1" || fail "a missing results file: $(cat "$work/e1")"
$py "$src/analysis/score.py" "$work/bt/results.h5" --observed "$observed" --year 2031 >"$work/e2" 2>&1
[[ $? -eq 2 ]] && grep -q "2031" "$work/e2" || fail "a year not in the results: $(cat "$work/e2")"
$py "$src/analysis/score.py" "$work/bt/results.h5" --households "$src/inputs/korea/observed" --year 2031 >"$work/e3" 2>&1
[[ $? -eq 2 ]] && grep -q "2031" "$work/e3" || fail "households: a year not in the results: $(cat "$work/e3")"
sum=$(md5sum <"$work/bt/results.h5")
$py "$src/analysis/score.py" "$work/bt/results.h5" --households "$src/inputs/korea/observed" --year 2023 \
  --json "$work/bt/results.h5" >"$work/e4" 2>&1
[[ $? -eq 2 ]] && grep -q "results.h5" "$work/e4" && [[ $(md5sum <"$work/bt/results.h5") == "$sum" ]] \
  || fail "households: the JSON output over the results file: $(cat "$work/e4")"
set -e
echo "backtest passed"
