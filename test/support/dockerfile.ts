// The instructions of a Dockerfile that say how its container runs: ENTRYPOINT and CMD (exec
// form only: a shell form would put /bin/sh, not node, at PID 1) and ENV, as docker reads them.

export interface ImageRun {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
}

export function parseDockerfile(text: string): ImageRun {
  const run: ImageRun = { entrypoint: [], cmd: [], env: {} };
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, op, rest] = m as unknown as [string, string, string];
    if (op === 'ENTRYPOINT' || op === 'CMD') {
      let words: unknown;
      try {
        words = JSON.parse(rest);
      } catch {
        throw new Error(`${op} must be in exec form (a JSON array): ${rest}`);
      }
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) throw new Error(`${op}: not an array of strings: ${rest}`);
      if (op === 'ENTRYPOINT') run.entrypoint = words;
      else run.cmd = words;
    } else if (op === 'ENV') {
      for (const p of rest.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) run.env[p[1]!] = p[3] ?? p[2]!;
    }
  }
  return run;
}
