#!/bin/sh
test_description='gt formula: the INI format, the search path, validate, show, list, publish'
. ./test-lib.sh

unset XDG_CONFIG_HOME
F=.gastown/formulas

test_expect_success 'setup: a repository with a formula' '
	test_create_repo repo &&
	cd repo &&
	mkdir -p $F &&
	cat >$F/release.formula.ini <<-\INI &&
	; a release
	[formula]
	name = release
	description = Cut release {{version}}
	version = 2
	type = workflow

	[var "version"]
	description = the version to release
	required = true
	pattern = [0-9]+\.[0-9]+\.[0-9]+

	[var "channel"]
	default = stable
	allowed = stable, beta

	[step "bump"]
	title = Bump the version to {{version}}
	description = Edit VERSION:
	  |
	  |    echo {{version}} >VERSION
	  |# not a comment: the bar protects it
	  |a long line cut \
	  |in two
	priority = P1
	labels = release, {{channel}}
	assignee = {{channel}}/crew/joe

	[step "test"]
	title = Run the tests
	needs = bump
	type = chore

	[step "tag"]
	title = Tag v{{version}}
	needs = test, bump
	acceptance = the tag
	  |is pushed
	INI
	gt formula validate release >out &&
	echo "$PWD/$F/release.formula.ini: ok" >expect &&
	test_cmp expect out
'

test_expect_success JQ 'show --json: every field as read, texts joined' '
	cd repo &&
	gt formula show --json release >json &&
	jq -r .name,.version,.type,.description json >out &&
	printf "release\n2\nworkflow\nCut release {{version}}\n" >expect &&
	test_cmp expect out &&
	jq -r ".steps[0].description" json >out &&
	printf "Edit VERSION:\n\n    echo {{version}} >VERSION\n# not a comment: the bar protects it\na long line cut in two\n" >expect &&
	test_cmp expect out &&
	jq -c ".steps[] | [.id, .title, .needs, .priority, .labels, .type, .assignee, .acceptance]" json >out &&
	cat >expect <<-\EOF2 &&
	["bump","Bump the version to {{version}}",[],1,["release","{{channel}}"],null,"{{channel}}/crew/joe",null]
	["test","Run the tests",["bump"],null,null,"chore",null,null]
	["tag","Tag v{{version}}",["test","bump"],null,null,null,null,"the tag\nis pushed"]
	EOF2
	test_cmp expect out &&
	jq -c ".vars[] | [.name, .required, .default, .allowed, .pattern]" json >out &&
	cat >expect <<-\EOF2 &&
	["version",true,null,[],"[0-9]+\\.[0-9]+\\.[0-9]+"]
	["channel",false,"stable",["stable","beta"],null]
	EOF2
	test_cmp expect out
'

test_expect_success 'show for people' '
	cd repo &&
	gt formula show release >out &&
	test_grep "^formula release (version 2, workflow)$" out &&
	test_grep "^  version (required): the version to release$" out &&
	test_grep "^  tag: Tag v{{version}} (needs test, bump)$" out
'

test_expect_success 'validate --var checks values: required, allowed, pattern, unknown' '
	cd repo &&
	gt formula validate --var version=1.2.3 release &&
	gt formula validate --var version=1.2.3 --var channel=beta release &&
	test_expect_code 1 gt formula validate --var channel=beta release >out &&
	echo "$PWD/$F/release.formula.ini:8: variable '\''version'\'' is required and has no value: give --var version=<value>" >expect &&
	test_cmp expect out &&
	test_expect_code 1 gt formula validate --var version=1.2 --var channel=nightly --var colour=red release >out &&
	cat >expect <<-\EOF2 &&
	--var: formula '\''release'\'' has no variable '\''colour'\''
	--var: variable '\''version'\'' is '\''1.2'\'', which does not match its pattern '\''[0-9]+\.[0-9]+\.[0-9]+'\''
	--var: variable '\''channel'\'' is '\''nightly'\'', not one of: stable, beta
	EOF2
	test_cmp expect out &&
	test_expect_code 1 gt formula validate --var novalue release >out &&
	test_grep "^--var: '\''novalue'\'' is not <name>=<value>$" out
'

# bad <name> <expected output>: the formula in bad.ini must fail validation
# with exactly these problem lines (file:line: message)
check_bad() {
	test_expect_code 1 gt formula validate ./bad.ini >out &&
	sed "s|^|./bad.ini:|" >expect &&
	test_cmp expect out
}

test_expect_success 'malformed lines, unknown sections and keys: every one, with its line' '
	cd repo &&
	cat >bad.ini <<-\INI &&
	[formula]
	name = bad
	this line has no equals sign
	colour = red
	[formula
	[stage "x"]
	key = v
	[step "a"]
	title = A
	  an indented line after a one-line key
	titel = A
	title = again
	[step a]
	INI
	check_bad <<-\EOF
	3: expected '\''key = value'\'', a [section] or a comment
	4: unknown key '\''colour'\'' in [formula] (keys: name, description, version, type)
	5: '\''['\'' without '\'']'\'': a section is [formula], [var "<name>"] or [step "<id>"]
	6: unknown section [stage "x"] (sections: [formula], [var "<name>"], [step "<id>"])
	10: an indented line continues the value before it, which takes one line: do not indent '\''an indented line after a one-line key'\''
	11: unknown key '\''titel'\'' in [step] (keys: title, description, needs, type, priority, labels, assignee, acceptance)
	12: duplicate key '\''title'\'' (first at line 9)
	13: bad section [step a]: write the name in double quotes, [step "<name>"]
	EOF
'

test_expect_success 'the step graph: a need that is no step, itself, a cycle with its path, a duplicate' '
	cd repo &&
	cat >bad.ini <<-\INI &&
	[formula]
	name = graph
	[step "a"]
	needs = c
	[step "b"]
	needs = a
	[step "c"]
	needs = b
	[step "d"]
	needs = d, zz
	[step "a"]
	title = again
	INI
	check_bad <<-\EOF
	4: dependency cycle: a -> c -> b -> a (each step needs the next)
	10: step '\''d'\'' needs itself
	10: step '\''d'\'' needs '\''zz'\'', which is not a step of this formula
	11: duplicate step '\''a'\'' (first at line 3)
	EOF
'

test_expect_success 'variables: undeclared, bad values, bad declarations' '
	cd repo &&
	cat >bad.ini <<-\INI &&
	[formula]
	name = vars
	version = two
	[var "mode"]
	allowed = fast, slow
	default = medium
	required = perhaps
	[var "n"]
	pattern = [0-9+
	[var "1x"]
	[var "mode"]
	[step "a"]
	title = Use {{mode}} and {{undeclared}} and {{ undeclared }}
	description = also {{other}}
	priority = 7
	type = two words
	INI
	check_bad <<-\EOF
	3: version must be a non-negative integer, not '\''two'\''
	6: variable '\''mode'\'' is '\''medium'\'', not one of: fast, slow
	7: required must be true or false, not '\''perhaps'\''
	9: invalid pattern '\''[0-9+'\'': Unmatched [, [^, [:, [., or [= (POSIX extended regular expression)
	10: invalid variable name '\''1x'\'' (a letter or '\''_'\'', then letters, digits, '\''_'\'')
	11: duplicate variable '\''mode'\'' (first at line 4)
	13: step '\''a'\'' uses {{undeclared}}, which is not declared: add a [var "undeclared"] section
	14: step '\''a'\'' uses {{other}}, which is not declared: add a [var "other"] section
	15: priority must be 0-4 or P0-P4, not '\''7'\''
	16: type must be one word, not '\''two words'\''
	EOF
'

test_expect_success 'no [formula], no name, no steps; keys outside a section' '
	cd repo &&
	printf "name = x\n" >bad.ini &&
	check_bad <<-\EOF &&
	 no [formula] section: start the file with [formula] and '\''name = <name>'\''
	 the formula has no steps: add a [step "<id>"] section
	1: '\''name'\'' is outside a section: start with [formula]
	EOF
	printf "[formula]\n[step \"a\"]\n" >bad.ini &&
	check_bad <<-\EOF
	1: the formula has no name: add '\''name = <name>'\'' to [formula]
	EOF
'

test_expect_success 'a line longer than inih reads is a problem, not a silent cut' '
	cd repo &&
	{
		printf "[formula]\nname = long\n[step \"a\"]\ntitle = " &&
		printf "%0250d\n" 0
	} >bad.ini &&
	check_bad <<-\EOF
	4: line is longer than 198 bytes: split the value over indented lines (a piece ending in '\''\'\'' joins the next without a newline)
	EOF
'

test_expect_success 'validate several; a missing one is exit 2, a bad name exit 3' '
	cd repo &&
	test_expect_code 1 gt formula validate release ./bad.ini >out &&
	test_grep "release.formula.ini: ok" out &&
	test_grep "bad.ini:4: line is longer" out &&
	test_expect_code 2 gt formula validate nosuch 2>err &&
	echo "error: no formula '\''nosuch'\'' (looked in $PWD/$F/, $HOME/.config/gastown/formulas/, refs/gastown/formulas/)" >expect &&
	test_cmp expect err &&
	test_expect_code 2 gt formula validate ./missing.ini 2>err &&
	test_grep "no formula file ./missing.ini" err &&
	test_expect_code 3 gt formula show "bad name" 2>err &&
	test_grep "invalid formula name '\''bad name'\''" err
'

test_expect_success 'the search path: repository, then user, then the shared ledger' '
	cd repo &&
	U=$HOME/.config/gastown/formulas &&
	mkdir -p $U &&
	printf "[formula]\nname = release\ndescription = the user one\n[step \"a\"]\n" >$U/release.formula.ini &&
	printf "[formula]\nname = mine\n[step \"a\"]\n" >$U/mine.formula.ini &&
	gt formula list >out &&
	cat >expect <<-EOF &&
	release	repo	$PWD/$F/release.formula.ini
	mine	user	$U/mine.formula.ini
	release	user	$U/release.formula.ini (shadowed)
	EOF
	test_cmp expect out &&
	gt formula show mine | head -n 2 >out &&
	test_grep "^source: $U/mine.formula.ini$" out &&
	gt formula publish mine >out &&
	echo "published mine" >expect &&
	test_cmp expect out &&
	gt formula publish mine >out &&
	echo "unchanged mine" >expect &&
	test_cmp expect out &&
	rm $U/mine.formula.ini &&
	gt formula show mine >out &&
	test_grep "^source: refs/gastown/formulas/mine$" out &&
	test_expect_code 4 gt formula publish mine 2>err &&
	test_grep "formula mine is only in the ledger already" err &&
	gt formula list --json >out &&
	test_grep "{\"name\":\"mine\",\"place\":\"ledger\",\"origin\":\"refs/gastown/formulas/mine\",\"shadowed\":false}" out &&
	XDG_CONFIG_HOME=$PWD/xdg gt formula list >out &&
	! grep -q "	user	" out
'

test_expect_success 'a published formula travels in the ledger; a bad one is not published' '
	cd repo &&
	git log --format=%s refs/gastown/formulas/mine >out &&
	test_grep "formula.publish: mine" out &&
	gt fsck &&
	test_expect_code 3 gt formula publish ./bad.ini 2>err &&
	test_grep "bad.ini:4: line is longer" err &&
	test_must_fail git rev-parse -q --verify refs/gastown/formulas/long
'

test_expect_success 'usage errors' '
	cd repo &&
	test_expect_code 129 gt formula 2>err &&
	test_grep "which subcommand" err &&
	test_expect_code 129 gt formula frobnicate 2>err &&
	test_grep "unknown subcommand '\''frobnicate'\''" err &&
	test_expect_code 129 gt formula show --var a=b release 2>err &&
	test_grep "var goes with validate only" err &&
	test_expect_code 129 gt formula validate --json release 2>err &&
	test_grep "json goes with list and show only" err &&
	test_expect_code 129 gt formula list x 2>err &&
	test_grep "list takes no argument" err &&
	test_expect_code 129 gt formula show 2>err &&
	test_grep "give the formula" err
'

test_done
