// Atomic file write: temp file in the same folder, fsync, rename. A crash or error leaves either
// the old file or nothing, never a half-written one. (Node only: imported dynamically by loaders.)

/** Writes `data` to `path` atomically, creating the parent folder. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  const dir = nodePath.dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = nodePath.join(dir, `.${nodePath.basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fh: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    fh = await fs.open(tmp, 'wx');
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    if (fh !== undefined) await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
