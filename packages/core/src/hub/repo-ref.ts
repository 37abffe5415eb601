import { isAbsolute, relative, resolve, sep } from "node:path";
import { InvalidOptionError } from "../errors.js";

/** A Hugging Face model repo, split into its two parts. */
export interface RepoId {
  /** `org/name`, as given. */
  id: string;
  org: string;
  name: string;
}

// The hub's own rule for repo ids (huggingface_hub's validate_repo_id): word characters, "-" and "." in each part,
// at most 96 characters, no "--" or "..", no part that starts or ends with "-" or ".". The second rule keeps an id
// from ever naming a parent directory or the cache's `models--org--name` separator.
const PART = /^[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;

/** Parses `org/name`; throws {@link InvalidOptionError} for anything that could not be a hub model repo. */
export function parseRepoId(id: string): RepoId {
  const parts = id.split("/");
  const bad = (why: string): never => {
    throw new InvalidOptionError(`"${id}" is not a Hugging Face repo id (${why}). Expected "org/name", e.g. "MCG-NJU/RGE".`);
  };
  if (parts.length !== 2) bad("it needs exactly one \"/\"");
  for (const part of parts) {
    if (!PART.test(part)) bad(`"${part}" may hold only letters, digits, "_", "-" and "." and must start and end with a letter, digit or "_"`);
    if (part.includes("--") || part.includes("..")) bad(`"${part}" contains "--" or ".."`);
  }
  return { id, org: parts[0]!, name: parts[1]! };
}

const COMMIT = /^[0-9a-f]{40}$/;

/** A full git commit hash, as the hub sends in X-Repo-Commit. */
export function isCommitHash(value: string): boolean {
  return COMMIT.test(value);
}

/**
 * Checks a revision (branch, tag, `refs/pr/N` or commit). It becomes part of a URL (encoded) and of a path in the
 * cache (`refs/<revision>`), so it may only hold the characters git refs commonly use, in "/"-separated parts none of
 * which is empty, "." or "..".
 */
export function checkRevision(revision: string): string {
  const parts = revision.split("/");
  const ok = revision.length <= 255 && parts.every((p) => /^[\w.+-]+$/.test(p) && p !== "." && p !== ".." && !p.endsWith(".lock"));
  if (!ok) {
    throw new InvalidOptionError(
      `revision ${JSON.stringify(revision)} is not a branch, tag or commit name: use letters, digits and "_.+-", in parts ` +
        `separated by "/", none of them "." or "..".`,
    );
  }
  return revision;
}

/**
 * Checks a file path that came from a repo (an index's shard names, a graph's external data): relative, "/"-separated,
 * no empty, "." or ".." part, no backslash or NUL. Returns it unchanged.
 */
export function checkRepoFilePath(path: string, where: string): string {
  const parts = path.split("/");
  const ok = path.length > 0 && !isAbsolute(path) && !/[\\\0]/.test(path) && parts.every((p) => p !== "" && p !== "." && p !== "..");
  if (!ok) throw new InvalidOptionError(`${where} names the file ${JSON.stringify(path)}, which is not a plain relative path in the repo.`);
  return path;
}

/** `root` joined with `parts`, asserted to stay inside `root` (the last line of defence against path escapes). */
export function inside(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const path = resolve(base, ...parts);
  const rel = relative(base, path);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new InvalidOptionError(`Refusing the path ${JSON.stringify(parts.join("/"))}: it leaves the cache directory ${base}.`);
  }
  return path;
}
