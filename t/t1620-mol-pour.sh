#!/bin/sh
test_description='gt mol pour: a molecule of real beads; gt ready follows its steps'
. ./test-lib.sh

unset XDG_CONFIG_HOME
F=.gastown/formulas

test_expect_success 'setup: a diamond formula' '
	test_create_repo repo &&
	cd repo &&
	mkdir -p $F &&
	cat >$F/diamond.formula.ini <<-\INI
	[formula]
	name = diamond
	description = Ship {{what}}
	[var "what"]
	required = true
	[step "design"]
	title = Design {{what}}
	priority = 1
	[step "left"]
	title = Build the left of {{what}}
	needs = design
	labels = build
	[step "right"]
	title = Build the right
	needs = design
	type = chore
	[step "join"]
	title = Join them
	needs = left, right
	assignee = mayor
	INI
'

test_expect_success JQ 'pour: a parent and a child per step, blocks edges from needs' '
	cd repo &&
	gt mol pour --var what=widget diamond >id &&
	M=$(cat id) &&
	test_grep "^gt-[0-9a-z]\{4,\}$" id &&
	gt show --json $M >parent &&
	jq -c "[.issue_type, .title, .description, .formula, .mol_vars]" parent >out &&
	echo "[\"molecule\",\"diamond\",\"Ship widget\",\"diamond\",{\"what\":\"widget\"}]" >expect &&
	test_cmp expect out &&
	for n in 1 2 3 4; do gt show --json $M.$n || return 1; done >kids &&
	jq -c "[.id == \"$M.\" + (input_line_number | tostring), .mol_step, .title, .parent == \"$M\", ([.dependencies[] | select(.type == \"blocks\") | .depends_on_id | sub(\"^$M\"; \"\")])]" kids >out &&
	cat >expect <<-\EOF &&
	[true,"design","Design widget",true,[]]
	[true,"left","Build the left of widget",true,[".1"]]
	[true,"right","Build the right",true,[".1"]]
	[true,"join","Join them",true,[".2",".3"]]
	EOF
	test_cmp expect out &&
	jq -c "[.priority, .issue_type, .labels, .assignee]" kids >out &&
	cat >expect <<-\EOF &&
	[1,"task",null,null]
	[2,"task",["build"],null]
	[2,"chore",null,null]
	[2,"task",null,"mayor"]
	EOF
	test_cmp expect out
'

test_expect_success 'every bead of the molecule is there, and fsck is content' '
	cd repo &&
	M=$(cat id) &&
	git for-each-ref --format="%(refname)" "refs/gastown/beads/$M*" >refs &&
	test_line_count = 5 refs &&
	gt fsck
'

test_expect_success 'gt ready shows exactly the steps whose needs are closed; close them in that order until done' '
	cd repo &&
	M=$(cat id) &&
	: >order &&
	while true; do
		gt ready --format "%(id)" | grep "^$M\." | sort >ready || true
		test -s ready || break
		gt mol next $M | cut -f1 | sort >next &&
		test_cmp ready next &&
		echo $(sed "s/^$M//" ready) >>order &&
		for s in $(cat ready); do gt close $s >/dev/null || return 1; done
	done &&
	cat >expect <<-\EOF &&
	.1
	.2 .3
	.4
	EOF
	test_cmp expect order &&
	gt mol status $M >status &&
	test_grep "^$M: diamond (poured), done: 4/4 done, 0 ready, 0 active, 0 blocked$" status &&
	test_expect_code 1 gt mol next $M 2>err &&
	echo "molecule $M is done: every step is closed" >expect &&
	test_cmp expect err
'

test_expect_success JQ 'status: done, ready, active, blocked; --json' '
	cd repo &&
	M=$(gt mol pour --var what=x diamond) &&
	gt update $M.1 --status in_progress &&
	gt mol status $M >out &&
	cat >expect <<-EOF &&
	$M: diamond (poured), open: 0/4 done, 0 ready, 1 active, 3 blocked
	  active  $M.1 design: Design x
	  blocked $M.2 left: Build the left of x (waits on $M.1)
	  blocked $M.3 right: Build the right (waits on $M.1)
	  blocked $M.4 join: Join them (waits on $M.2, $M.3)
	EOF
	test_cmp expect out &&
	test_expect_code 1 gt mol next $M 2>err &&
	echo "no step of $M is ready: 1 active, 3 blocked" >expect &&
	test_cmp expect err &&
	gt close $M.1 &&
	gt mol status --json $M >json &&
	jq -c "[.kind, .status, .total, .done, .ready, .active, .blocked, [.steps[].state], .steps[3].waiting_on]" json >out &&
	echo "[\"poured\",\"open\",4,1,2,0,1,[\"done\",\"ready\",\"ready\",\"blocked\"],[\"$M.2\",\"$M.3\"]]" >expect &&
	test_cmp expect out &&
	gt mol next --json $M | jq -r .step >out &&
	printf "left\nright\n" >expect &&
	test_cmp expect out &&
	echo $M >second
'

test_expect_success JQ 'mol list: every molecule with its progress' '
	cd repo &&
	gt mol list >out &&
	sort >expect <<-EOF &&
	$(cat id)	poured	4/4	diamond
	$(cat second)	poured	1/4	diamond
	EOF
	sort out >sorted &&
	test_cmp expect sorted &&
	gt mol list --json | jq -c "[.kind, .formula, .total]" | sort -u >out &&
	echo "[\"poured\",\"diamond\",4]" >expect &&
	test_cmp expect out
'

test_expect_success JQ 'pour from a stored proto; a proto takes no --var' '
	cd repo &&
	P=$(gt cook --var what=gadget diamond) &&
	M=$(gt mol pour $P) &&
	gt show --json $M | jq -r ".proto, .title" >out &&
	printf "%s\ndiamond\n" $P >expect &&
	test_cmp expect out &&
	gt show --json $M.1 | jq -r .title >out &&
	echo "Design gadget" >expect &&
	test_cmp expect out &&
	git for-each-ref >before &&
	test_expect_code 3 gt mol pour --var what=x $P 2>err &&
	echo "fatal: $P is a protomolecule: its variables are resolved, give no --var" >expect &&
	test_cmp expect err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success JQ '--attach: the bead names the molecule; a second one is refused' '
	cd repo &&
	gt create --id gt-work "Some work" >/dev/null &&
	M=$(gt mol pour --var what=w --attach gt-work diamond) &&
	gt show --json gt-work | jq -r .molecule >out &&
	echo $M >expect &&
	test_cmp expect out &&
	gt show --json $M | jq -r .attached_to >out &&
	echo gt-work >expect &&
	test_cmp expect out &&
	git for-each-ref >before &&
	test_expect_code 4 gt mol pour --var what=w --attach gt-work diamond 2>err &&
	echo "fatal: bead gt-work already has molecule $M attached: squash or burn it if it is a wisp, else detach it with '\''gt update gt-work --unset molecule'\''" >expect &&
	test_cmp expect err &&
	test_expect_code 4 gt mol wisp --var what=w --attach gt-work diamond 2>err &&
	test_cmp expect err &&
	test_expect_code 2 gt mol pour --var what=w --attach gt-nosuch diamond 2>err &&
	echo "fatal: no such bead: gt-nosuch" >expect &&
	test_cmp expect err &&
	git for-each-ref >after &&
	test_cmp before after &&
	gt update gt-work --unset molecule &&
	M2=$(gt mol pour --var what=w --attach gt-work diamond) &&
	gt show --json gt-work | jq -r .molecule >out &&
	echo $M2 >expect &&
	test_cmp expect out
'

# The attach bead is locked by a live writer: the pour's transaction
# (parent, steps and the attach bead together) cannot complete, and
# nothing of it may be left behind.
test_expect_success 'a pour whose transaction cannot complete leaves no bead behind' '
	cd repo &&
	gt create --id gt-busy "Busy work" >/dev/null &&
	git for-each-ref >before &&
	printf "[core]\n\tstaleLockSeconds = 3600\n\tlockTimeoutSeconds = 1\n" >>.git/gastown/config &&
	test_when_finished "git config -f .git/gastown/config --unset core.staleLockSeconds; git config -f .git/gastown/config --unset core.lockTimeoutSeconds; rm -f .git/refs/gastown/beads/gt-busy.lock" &&
	touch .git/refs/gastown/beads/gt-busy.lock &&
	test_expect_code 5 gt mol pour --var what=w --attach gt-busy diamond 2>err &&
	test_grep "^fatal: refs/gastown/beads/gt-busy stays locked by another process" err &&
	rm .git/refs/gastown/beads/gt-busy.lock &&
	git for-each-ref >after &&
	test_cmp before after &&
	gt fsck
'

test_expect_success 'bad input changes nothing: formula problems, bad values, not a molecule' '
	cd repo &&
	git for-each-ref >before &&
	test_expect_code 3 gt mol pour diamond 2>err &&
	test_grep "^fatal: .*diamond.formula.ini:4: variable '\''what'\'' is required and has no value: give --var what=<value>$" err &&
	printf "[formula]\nname = self\n[step \"a\"]\nneeds = a\n" >self.ini &&
	test_expect_code 3 gt mol pour ./self.ini 2>err &&
	echo "fatal: ./self.ini:4: step '\''a'\'' needs itself" >expect &&
	test_cmp expect err &&
	test_expect_code 2 gt mol pour nosuch 2>err &&
	test_grep "^fatal: no formula '\''nosuch'\''" err &&
	test_expect_code 3 gt mol status gt-work 2>err &&
	echo "fatal: gt-work is not a molecule (its issue_type is task)" >expect &&
	test_cmp expect err &&
	test_expect_code 2 gt mol status gt-nosuch 2>err &&
	echo "fatal: no such bead: gt-nosuch" >expect &&
	test_cmp expect err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'usage errors' '
	cd repo &&
	test_expect_code 129 gt mol 2>err &&
	test_grep "which subcommand" err &&
	test_expect_code 129 gt mol brew 2>err &&
	test_grep "unknown subcommand '\''brew'\''" err &&
	test_expect_code 129 gt mol status --var a=b x 2>err &&
	test_grep "var and --attach go with pour and wisp only" err &&
	test_expect_code 129 gt mol burn --summary s x 2>err &&
	test_grep "summary goes with squash only" err &&
	test_expect_code 129 gt mol pour --json diamond 2>err &&
	test_grep "json goes with list, status and next only" err &&
	test_expect_code 129 gt mol pour 2>err &&
	test_grep "give one formula or proto" err &&
	test_expect_code 129 gt mol status 2>err &&
	test_grep "give one molecule id" err &&
	test_expect_code 129 gt mol list x 2>err &&
	test_grep "list takes no argument" err
'

test_done
