import type { CliContext } from '../context.js';
import { UsageError } from '../usage-error.js';

const VERBS =
  'up down ps logs start stop restart events config daemon completion solo controller worker server help';

/** `harness completion bash|zsh`: a completion script to source from your shell's rc file. */
export async function completion(shell: string, cx: CliContext): Promise<number> {
  if (shell === 'bash') {
    cx.stdout.write(`# harness completion for bash: source <(harness completion bash)
_harness() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  case "\${COMP_WORDS[1]}" in
    config) COMPREPLY=( $(compgen -W "validate print" -- "$cur") ); return ;;
    daemon) COMPREPLY=( $(compgen -W "start stop status" -- "$cur") ); return ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ); return ;;
    up|logs|start|stop|restart)
      if [ "$prev" = "-f" ] || [ "$prev" = "--file" ]; then COMPREPLY=( $(compgen -f -- "$cur") ); return; fi
      local f=harness.yaml
      [ -f "$f" ] && COMPREPLY=( $(compgen -W "$(sed -n 's/^  \\([A-Za-z0-9_-]*\\):.*/\\1/p' "$f")" -- "$cur") )
      return ;;
  esac
  [ "$COMP_CWORD" -eq 1 ] && COMPREPLY=( $(compgen -W "${VERBS}" -- "$cur") )
}
complete -F _harness harness
`);
    return 0;
  }
  if (shell === 'zsh') {
    cx.stdout.write(`#compdef harness
# harness completion for zsh: source <(harness completion zsh)
_harness() {
  local -a verbs; verbs=(${VERBS})
  if (( CURRENT == 2 )); then _describe 'verb' verbs; return; fi
  case "$words[2]" in
    config) _values 'subcommand' validate print ;;
    daemon) _values 'subcommand' start stop status ;;
    completion) _values 'shell' bash zsh ;;
    *) _files ;;
  esac
}
compdef _harness harness
`);
    return 0;
  }
  throw new UsageError(
    'INVALID_ARGUMENT',
    `no completion for shell ${JSON.stringify(shell)}`,
    'use bash or zsh',
  );
}
