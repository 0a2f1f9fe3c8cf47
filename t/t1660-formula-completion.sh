#!/bin/sh
test_description='bash completion of gt formula, gt cook and gt mol'
. ./test-lib.sh

unset XDG_CONFIG_HOME
command -v bash >/dev/null && test_set_prereq BASH

write_completion_driver complete.sh

test_expect_success BASH 'setup' '
	test_create_repo repo &&
	cd repo &&
	mkdir -p .gastown/formulas &&
	printf "[formula]\nname = patrol\n[step \"a\"]\n" >.gastown/formulas/patrol.formula.ini &&
	printf "[formula]\nname = pour-me\n[step \"a\"]\n" >.gastown/formulas/pour-me.formula.ini &&
	gt cook patrol >../proto &&
	gt mol wisp patrol >../wisp
'

test_expect_success BASH 'subcommands' '
	cd repo &&
	bash ../complete.sh gt formula "" >actual &&
	printf "%s\n" list show validate publish >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt mol s >actual &&
	printf "%s\n" squash status >expect &&
	test_cmp expect actual
'

test_expect_success BASH 'formula names, protos, molecules, wisp beads' '
	cd repo &&
	bash ../complete.sh gt formula show p >actual &&
	printf "%s\n" patrol pour-me >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt cook pa >actual &&
	echo patrol >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt mol pour patrol- >actual &&
	cat ../proto >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt mol burn gt-w >actual &&
	cat ../wisp >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt show "$(cat ../wisp)." >actual &&
	printf "%s.1\n" "$(cat ../wisp)" >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt mol --att >actual &&
	echo --attach >expect &&
	test_cmp expect actual
'

test_done
