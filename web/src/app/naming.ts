// Names and paths for a share picked from disk (docs/protocol.md §1.1): the share's name and each
// file's path, made from the names the browser gives. Pure.

// Longest name kept from a picked file (bytes are checked again by the metadata encoder; 200
// characters stay well inside MAX_NAME_BYTES for most scripts).
export const MAX_PICKED_NAME_CHARS = 200;

// A file name usable as a share name or path: no '/', '\', control characters, not '.' or '..'.
export function safeName(name: string): string {
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').slice(0, MAX_PICKED_NAME_CHARS);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

// Paths for picked files: their names, made unique (two picked files may share a name).
export function uniquePaths(files: ReadonlyArray<{ readonly name: string }>): string[] {
  const used = new Set<string>();
  return files.map((f) => {
    const base = safeName(f.name);
    let path = base;
    for (let i = 2; used.has(path); i++) path = `${i}-${base}`;
    used.add(path);
    return path;
  });
}

// The share's name: the file's own for one file, a count for several.
export function shareName(files: ReadonlyArray<{ readonly name: string }>): string {
  return files.length === 1 ? safeName(files[0]!.name) : `${files.length} files`;
}
