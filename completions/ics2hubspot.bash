# bash completion for ics2hubspot                                  -*- shell-script -*-
# Installed by `make install` into share/bash-completion/completions/ics2hubspot.
# The option lists mirror importer/cli.c's tables (tests/e2e/t0002-cli-commands.sh
# checks they agree): a new option goes in the list of each command that takes it.

_ics2hubspot_options() {
	local common="--quiet --verbose --help"
	local window="--since --until --default-tz --max-per-series"
	local hubspot="--api-base --api-version --allow-insecure-http --token-file --rate"
	case $1 in
	sync) echo "--config --wait --log-format --force --recreate-deleted --rate $common" ;;
	import) echo "--mapping $window --dry-run $hubspot --report --state --name --no-state --force --recreate-deleted --associate --config --log-format $common" ;;
	expand) echo "$window $common" ;;
	check) echo "--mapping $window --json --remote --limit --config $hubspot $common" ;;
	setup) echo "--mapping --dry-run --config --portal $hubspot $common" ;;
	"state list" | "state runs" | "state show") echo "--state --json --config --portal $common" ;;
	"state forget" | "state rename") echo "--state --config --portal $common" ;;
	"state undo") echo "--state --run --dry-run --yes --config --portal $hubspot $common" ;;
	esac
}

_ics2hubspot() {
	local cur prev cmd="" i w
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# The command (and the state sub-command) are the first words that are not options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-m | --mapping | --since | --until | --default-tz | --max-per-series | --api-base | \
			--api-version | --token-file | --rate | --report | --state | --name | --associate | --limit | --run | \
			--config | --portal | --log-format)
			((i++))
			continue
			;;
		-*) continue ;;
		esac
		case $cmd in
		"") cmd=$w ;;
		state | help) cmd="$cmd $w"; break ;;
		*) break ;;
		esac
	done

	case $prev in
	-m | --mapping)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur")
			$(compgen -d -S / -- "$cur"))
		# preset names (-m outlook): the user's, then those installed beside this file
		if [[ $cur != */* ]]; then
			local d f
			for d in "${XDG_CONFIG_HOME:-$HOME/.config}/ics2hubspot/mappings" \
				"$(dirname "${BASH_SOURCE[0]}")/../../ics2hubspot/mappings"; do
				for f in "$d"/*.yaml; do
					[ -f "$f" ] || continue
					f=${f##*/}
					[[ ${f%.yaml} == "$cur"* ]] && COMPREPLY+=("${f%.yaml}")
				done
			done
		fi
		[ ${#COMPREPLY[@]} = 1 ] && [ -d "${COMPREPLY[0]}" ] && compopt -o nospace 2>/dev/null
		return
		;;
	--token-file | --report | --state | --config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--default-tz)
		local zi=/usr/share/zoneinfo
		[ -d $zi ] && COMPREPLY=($(cd $zi && compgen -f -- "$cur"))
		return
		;;
	--api-version)
		COMPREPLY=($(compgen -W "2026-09 2026-03" -- "$cur"))
		return
		;;
	--log-format)
		COMPREPLY=($(compgen -W "text json" -- "$cur"))
		return
		;;
	--since | --until | --max-per-series | --limit | --run | --rate | --api-base | --associate | --portal)
		return
		;;
	esac

	case $cmd in
	"")
		COMPREPLY=($(compgen -W "sync import expand check setup state help --help --version" -- "$cur"))
		return
		;;
	state)
		COMPREPLY=($(compgen -W "list runs show forget rename undo" -- "$cur"))
		return
		;;
	help)
		COMPREPLY=($(compgen -W "sync import expand check setup state help" -- "$cur"))
		return
		;;
	"help state")
		COMPREPLY=($(compgen -W "list runs show forget rename undo" -- "$cur"))
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_ics2hubspot_options "$cmd")" -- "$cur"))
	elif [[ $cmd == import || $cmd == expand || $cmd == check ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.ics' -- "$cur") $(compgen -f -X '!*.ical' -- "$cur")
			$(compgen -d -S / -- "$cur"))
	fi
}
complete -F _ics2hubspot ics2hubspot
