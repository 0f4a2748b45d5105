// Shell-style globs for port names and portgroup names: `*`, `?`, `[abc]`. Case-sensitive for
// ports (switch interface names are), case-insensitive option for portgroups.

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string, caseInsensitive = false): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}:${glob}`;
  let re = cache.get(key);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end > i + 1) {
        // `[!x]` is the shell's negation
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\').replace(/^!/, '^');
        src += `[${body}]`;
        i = end;
      } else src += '\\[';
    } else src += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`, caseInsensitive ? 'i' : '');
  cache.set(key, re);
  return re;
}

export function matchesAny(name: string, globs: readonly string[], caseInsensitive = false): boolean {
  return globs.some((g) => globToRegExp(g, caseInsensitive).test(name));
}
