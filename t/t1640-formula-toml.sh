#!/bin/sh
test_description='contrib/formula-toml2ini.py: the real TOML formulas convert, validate and pour'
. ./test-lib.sh

unset XDG_CONFIG_HOME
F=.gastown/formulas
CONVERT="python3 $SRC_DIR/contrib/formula-toml2ini.py"
FORMULAS="feature-workflow shiny mol-polecat-work"

command -v python3 >/dev/null && python3 -c "import tomllib" 2>/dev/null &&
	test_set_prereq PYTHON3

test_expect_success PYTHON3,TESTDATA 'setup: copies of the three formulas' '
	test_create_repo repo &&
	cd repo &&
	mkdir -p $F toml &&
	for n in $FORMULAS; do
		cp "$TESTDATA_DIR/formulas/$n.formula.toml" toml/ &&
		chmod u+w toml/$n.formula.toml || return 1
	done
'

test_expect_success PYTHON3,TESTDATA 'the three convert with nothing dropped (they use only fields we support)' '
	cd repo &&
	for n in $FORMULAS; do
		$CONVERT toml/$n.formula.toml -o $F/$n.formula.ini 2>err-$n || return 1
	done &&
	test_must_be_empty err-feature-workflow &&
	test_must_be_empty err-shiny &&
	test_must_be_empty err-mol-polecat-work
'

test_expect_success PYTHON3,TESTDATA 'the three validate' '
	cd repo &&
	gt formula validate $FORMULAS >out &&
	test_line_count = 3 out &&
	! grep -v ": ok$" out
'

test_expect_success PYTHON3,TESTDATA,JQ 'every supported field comes through exactly' '
	cd repo &&
	for n in $FORMULAS; do
		gt formula show --json $n >$n.json || return 1
	done &&
	cat >check.py <<-\PY &&
	import json, sys, tomllib
	for n in sys.argv[1:]:
	    t = tomllib.load(open(f"toml/{n}.formula.toml", "rb"))
	    j = json.load(open(f"{n}.json"))
	    assert j["name"] == t["formula"], n
	    assert j["description"] == t.get("description", "").removesuffix("\n"), n
	    assert j["version"] == t.get("version", 0), n
	    assert j["type"] == t.get("type", ""), n
	    tv = t.get("vars", {})
	    assert [v["name"] for v in j["vars"]] == list(tv), n
	    for v in j["vars"]:
	        want = tv[v["name"]]
	        assert v["description"] == want.get("description", ""), (n, v["name"])
	        assert v["required"] == want.get("required", False), (n, v["name"])
	        assert v["default"] == want.get("default"), (n, v["name"])
	    assert len(j["steps"]) == len(t["steps"]), n
	    for a, b in zip(t["steps"], j["steps"]):
	        assert a["id"] == b["id"], n
	        assert b["title"] == a["title"], (n, a["id"])
	        assert b.get("description") == a.get("description", "").removesuffix("\n") or \
	            ("description" not in a and "description" not in b), (n, a["id"])
	        assert b.get("acceptance") == a.get("acceptance"), (n, a["id"])
	        assert b["needs"] == a.get("needs", []), (n, a["id"])
	        assert b.get("type") == a.get("type"), (n, a["id"])
	    print(n, "ok")
	PY
	python3 check.py $FORMULAS >out &&
	printf "%s ok\n" $FORMULAS >expect &&
	test_cmp expect out
'

test_expect_success PYTHON3,TESTDATA,JQ 'the three pour; their steps follow their needs' '
	cd repo &&
	M1=$(gt mol pour --var feature_name=login feature-workflow) &&
	M2=$(gt mol pour --var feature=search shiny) &&
	M3=$(gt mol pour --var issue=gt-123 mol-polecat-work) &&
	gt mol status --json $M1 | jq -c "[.total, .ready, [.steps[].step]]" >out &&
	echo "[5,1,[\"design\",\"implement\",\"test\",\"review\",\"merge\"]]" >expect &&
	test_cmp expect out &&
	gt show --json $M1.1 | jq -r ".title, .issue_type" >out &&
	printf "Design login\nhuman\n" >expect &&
	test_cmp expect out &&
	gt show --json $M2.1 | jq -r .acceptance_criteria >out &&
	echo "Design doc committed covering approach, trade-offs, and files to change" >expect &&
	test_cmp expect out &&
	gt mol status --json $M3 | jq -c "[.total, .ready]" >out &&
	echo "[8,1]" >expect &&
	test_cmp expect out &&
	gt show --json $M3.1 | jq -r .description >desc &&
	test_grep "bd show gt-123 " desc &&
	! grep "{{issue}}" desc &&
	gt ready --format "%(id)" | sort >out &&
	printf "%s\n" $M1.1 $M2.1 $M3.1 | sort >expect &&
	test_cmp expect out
'

test_expect_success PYTHON3 'dropped fields are named; what cannot be converted says why' '
	cat >odd.toml <<-\TOML &&
	formula = "odd"
	extends = ["base"]
	[vars.v]
	description = "x"
	hint = "dropped"
	[[steps]]
	id = "a"
	title = "A"
	timeout = "5m"
	gate = { type = "human" }
	TOML
	$CONVERT odd.toml >odd.ini 2>err &&
	cat >expect <<-\EOF &&
	dropped: extends
	dropped: vars.v.hint
	dropped: steps[a].timeout
	dropped: steps[a].gate
	EOF
	test_cmp expect err &&
	git init -q r && cd r && gt formula validate ../odd.ini &&
	cd .. &&
	printf "formula = \"x\"\n[[steps]]\nid = \"a\"\ntitle = \"two\\\\nlines\"\n" >bad.toml &&
	test_expect_code 1 $CONVERT bad.toml 2>err &&
	echo "fatal: bad.toml: steps[a].title: takes one line, this value has several" >expect &&
	test_cmp expect err &&
	printf "not toml = = \n" >worse.toml &&
	test_expect_code 1 $CONVERT worse.toml 2>err &&
	test_grep "^fatal: worse.toml: " err &&
	test_expect_code 2 $CONVERT 2>err &&
	test_grep "^usage: formula-toml2ini.py" err
'

test_expect_success PYTHON3 'a long line is cut into pieces that join back exactly' '
	python3 -c "print(\"formula = \\\"long\\\"\"); print(\"[[steps]]\"); print(\"id = \\\"a\\\"\"); print(\"description = \\\"\" + \" \".join([\"word%d\" % i for i in range(120)]) + \"  x\\\"\")" >long.toml &&
	$CONVERT long.toml >long.ini &&
	awk "{ if (length(\$0) > 190) exit 1 }" long.ini &&
	git init -q l && cd l &&
	gt formula show --json ../long.ini >json &&
	python3 -c "import json,tomllib; a=tomllib.load(open(\"../long.toml\",\"rb\"))[\"steps\"][0][\"description\"]; b=json.load(open(\"json\"))[\"steps\"][0][\"description\"]; assert a == b, (a, b)"
'

test_done
