# ewc.bash - bash completion for ewc: subcommands, their options (read from
# `ewc help COMMAND`), region ids and GPU types (read from the regions the
# command line names, else $EWC_REGIONS or the installed ones).
# Installed by `make install` as bash-completion/completions/ewc.

_ewc_regions_args() {
	# the --regions options already on the line
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == --regions && $((i + 1)) -lt COMP_CWORD ]]; then
			printf '%s\n' --regions "${COMP_WORDS[i + 1]}"
		fi
	done
}

_ewc_names() {
	# $1: 1 for region ids, 8 for GPU types (columns of regions list --format csv)
	local args
	mapfile -t args < <(_ewc_regions_args)
	"${COMP_WORDS[0]}" regions list --format csv "${args[@]}" 2>/dev/null |
		awk -F, -v c="$1" 'NR > 1 && $c != "" { print $c }' | sort -u
}

_ewc() {
	local cur prev cmd opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "place explain regions jobs rebalance frontier whatif help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	--regions | --jobs | --output | --report | --db | --policy | --write-lp | --metrics | --feeds | --map)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "table csv json" -- "$cur"))
		return ;;
	--mode)
		COMPREPLY=($(compgen -W "balanced cost carbon" -- "$cur"))
		return ;;
	--carbon-basis)
		COMPREPLY=($(compgen -W "market location" -- "$cur"))
		return ;;
	--solver)
		COMPREPLY=($(compgen -W "auto direct decompose" -- "$cur"))
		return ;;
	--zone)
		COMPREPLY=($(compgen -W "east west" -- "$cur"))
		return ;;
	--type)
		COMPREPLY=($(compgen -W "$(_ewc_names 8)" -- "$cur"))
		return ;;
	--set)
		# REGION.TYPE.free=, REGION.power.price=, ...
		COMPREPLY=($(compgen -W "$(_ewc_names 1 | sed 's/$/./')" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return ;;
	esac
	if [[ $cmd == regions && COMP_CWORD -eq 2 ]]; then
		COMPREPLY=($(compgen -W "list validate import sync" -- "$cur"))
		return
	fi
	if [[ $cmd == jobs && COMP_CWORD -eq 2 ]]; then
		COMPREPLY=($(compgen -W "list finish remove" -- "$cur"))
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "place explain regions jobs rebalance frontier whatif" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		opts=$("${COMP_WORDS[0]}" help "$cmd" 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _ewc ewc
