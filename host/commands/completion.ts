// `src-vipa completion bash`: a bash completion script made from the commands' own help,
// so that it knows exactly their options. `make install` installs its output.
import { UsageError } from './context.js';
import type { CommandHelp } from './help.js';

export const completionHelp: CommandHelp = {
  name: 'completion',
  synopsis: ['completion bash'],
  summary: 'print the bash completion script',
  description: `Prints a bash completion script for src-vipa. make install and the packages install
it in /usr/share/bash-completion/completions/src-vipa; to try it, run
  source <(src-vipa completion bash)`,
  options: [],
};

export interface CompletionOptions { shell: 'bash' }

export function completionArgs(argv: string[]): { help: true } | { help: false; options: CompletionOptions } {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  if (argv.length !== 1 || argv[0] !== 'bash') {
    throw new UsageError(`completion: ${argv.length ? `unknown shell '${argv[0]}'` : 'missing SHELL'}: only bash is supported (src-vipa completion bash)`);
  }
  return { help: false, options: { shell: 'bash' } };
}

// A value placeholder of an option: FILE and CASE files complete as files, 4|6 as words.
function valueCompletion(placeholder: string): string {
  if (/^(FILE|CASES?)/.test(placeholder)) return 'COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null';
  if (placeholder.includes('|')) return `COMPREPLY=($(compgen -W "${placeholder.split('|').join(' ')}" -- "$cur"))`;
  return 'COMPREPLY=()';
}

/** The script for these commands. */
export function bashCompletion(commands: CommandHelp[]): string {
  const names = commands.map((c) => c.name);
  const valued = new Map<string, string>();
  const perCommand = commands.map((c) => {
    const options: string[] = ['--help'];
    for (const [flag] of c.options) {
      for (const part of flag.split(', ')) {
        const [option, placeholder] = part.split(' ');
        options.push(option);
        if (placeholder) valued.set(option, valueCompletion(placeholder));
      }
    }
    const positional = c.synopsis.join(' ').replace(/\[?--?[\w-]+( [A-Z0-9|]+)?\]?/g, '');
    const files = /\b(FILE|CASES?)\b/.test(positional);
    const words = c.name === 'help' ? names.join(' ') : c.name === 'completion' ? 'bash' : '';
    return `    ${c.name}) options="${options.join(' ')}"; files=${files ? 1 : 0}; words="${words}" ;;`;
  });
  const valueCases = [...valued].map(([option, action]) => `    ${option}) ${action}; return ;;`);
  return `# bash completion for src-vipa; made by \`src-vipa completion bash\`
_src_vipa() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${[...names, 'help', '--help', '--version'].join(' ')}" -- "$cur"))
    return
  fi
  case $prev in
${valueCases.join('\n')}
  esac
  local options="" files=0 words=""
  case \${COMP_WORDS[1]} in
${perCommand.join('\n')}
    help) words="${names.join(' ')}" ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif [ -n "$words" ]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  elif [ "$files" = 1 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
  fi
}
complete -F _src_vipa src-vipa
`;
}
