import { dot, RgeWorkerModel, type RgeInput, type WebDevice, type WebLoadProgress } from "@rge/core/web";

// The page: a library of texts and images embedded as RGE targets, and questions (text, an image, or both)
// embedded with reasoning, the rationale streaming in while the model writes it. The model runs in a worker.

interface Entry {
  label: string;
  thumbnail?: string;
  embedding: Float32Array;
}

interface Examples {
  documents: string[];
  questions: { text: string; answer: string }[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>("status");
const progress = $<HTMLProgressElement>("progress");
const library: Entry[] = [];

/** Where the page is in its flow, for people (the status line) and for the browser test (`data-state`). */
function setState(state: "loading" | "ready" | "adding" | "searching" | "error", text: string): void {
  document.body.dataset.state = state;
  status.textContent = text;
  const busy = state === "loading" || state === "adding" || state === "searching";
  $<HTMLButtonElement>("add-button").disabled = busy || state === "error";
  $<HTMLButtonElement>("search-button").disabled = busy || state === "error" || library.length === 0;
}

function showProgress(files: Map<string, WebLoadProgress>): void {
  let loaded = 0;
  let total = 0;
  for (const p of files.values()) {
    loaded += p.loaded;
    total += p.total ?? p.loaded;
  }
  progress.value = total ? loaded / total : 0;
  status.textContent = `Loading the model… ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
}

function renderLibrary(): void {
  $("library-count").textContent = `(${library.length})`;
  $("library").replaceChildren(
    ...library.map((entry) => {
      const li = document.createElement("li");
      if (entry.thumbnail) li.append(Object.assign(document.createElement("img"), { src: entry.thumbnail, alt: entry.label }));
      li.append(entry.label);
      return li;
    }),
  );
}

async function addToLibrary(model: RgeWorkerModel, items: { label: string; input: RgeInput; thumbnail?: string }[]): Promise<void> {
  const embedded = await model.embedTargets(items.map((i) => i.input));
  items.forEach((item, i) => library.push({ label: item.label, ...(item.thumbnail ? { thumbnail: item.thumbnail } : {}), embedding: embedded[i]!.embedding }));
  renderLibrary();
}

async function search(model: RgeWorkerModel, input: RgeInput): Promise<void> {
  const rationale = $("rationale");
  rationale.textContent = "";
  $("results").replaceChildren();
  const started = performance.now();
  let firstToken: number | undefined;
  const query = await model.embedQuery(input, {
    onToken: (token) => {
      firstToken ??= performance.now();
      rationale.textContent += token.text;
    },
  });
  const done = performance.now();
  rationale.textContent = query.rationale;
  $("timing").textContent =
    `${query.tokens.generated} tokens in ${((done - started) / 1000).toFixed(2)} s` +
    (firstToken ? `, first after ${((firstToken - started) / 1000).toFixed(2)} s` : "") +
    ` (stopped by ${query.stoppedBy})`;
  const ranked = library.map((entry) => ({ entry, score: dot(query.embedding, entry.embedding) })).sort((a, b) => b.score - a.score);
  $("results").replaceChildren(
    ...ranked.slice(0, 10).map(({ entry, score }) => {
      const li = document.createElement("li");
      li.append(Object.assign(document.createElement("span"), { className: "score", textContent: score.toFixed(3) }));
      if (entry.thumbnail) li.append(Object.assign(document.createElement("img"), { src: entry.thumbnail, alt: entry.label }));
      li.append(Object.assign(document.createElement("span"), { className: "label", textContent: entry.label }));
      return li;
    }),
  );
}

/** The image asked about, beside its rationale (the badges of the demo model are 28 px: drawn pixelated). */
function showQueryImage(image: File | undefined): void {
  const preview = $<HTMLImageElement>("query-preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.hidden = !image;
  if (image) preview.src = URL.createObjectURL(image);
  else preview.removeAttribute("src");
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  // A converted bundle of your own: ?bundle=https://…/rge-bundle/ (its server must allow this origin, CORS).
  const bundle = params.get("bundle") ?? new URL("./models/demo/", location.href).href;
  const device = (params.get("device") ?? "wasm") as WebDevice;
  setState("loading", "Loading the model…");
  const files = new Map<string, WebLoadProgress>();
  const worker = new Worker(new URL("./rge.worker.ts", import.meta.url), { type: "module" });
  const model = await RgeWorkerModel.load(worker, bundle, { device, onProgress: (p) => (files.set(p.file, p), showProgress(files)) });
  progress.hidden = true;

  const examples = (await fetch(new URL("examples.json", bundle)).then((r) => (r.ok ? r.json() : undefined)).catch(() => undefined)) as Examples | undefined;
  if (examples) {
    setState("adding", `Embedding ${examples.documents.length} documents…`);
    await addToLibrary(model, examples.documents.map((text) => ({ label: text, input: { text } })));
    $("examples").replaceChildren(
      ...examples.questions.map((q) => {
        const button = Object.assign(document.createElement("button"), { type: "button", textContent: q.text });
        button.addEventListener("click", () => ($<HTMLInputElement>("query-text").value = q.text));
        return button;
      }),
    );
  }
  const ready = () => setState("ready", `Ready: ${model.device} (${model.dtype}), ${library.length} documents. ${model.deviceReason}.`);
  ready();

  $("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const texts = $<HTMLTextAreaElement>("add-texts").value.split("\n").map((t) => t.trim()).filter(Boolean);
    const images = Array.from($<HTMLInputElement>("add-images").files ?? []);
    const items = [
      ...texts.map((text) => ({ label: text, input: { text } })),
      ...images.map((file) => ({ label: file.name, input: { image: file }, thumbnail: URL.createObjectURL(file) })),
    ];
    if (items.length === 0) return;
    setState("adding", `Embedding ${items.length} documents…`);
    addToLibrary(model, items)
      .then(() => {
        $<HTMLTextAreaElement>("add-texts").value = "";
        $<HTMLInputElement>("add-images").value = "";
        ready();
      })
      .catch((error: Error) => setState("ready", `Could not add: ${error.message}`));
  });

  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $<HTMLInputElement>("query-text").value.trim();
    const image = $<HTMLInputElement>("query-image").files?.[0];
    if (!text && !image) return;
    setState("searching", "Reasoning…");
    showQueryImage(image);
    search(model, { ...(text ? { text } : {}), ...(image ? { image } : {}) })
      .then(ready)
      .catch((error: Error) => setState("ready", `Could not search: ${error.message}`));
  });
}

main().catch((error: Error) => setState("error", `Could not start: ${error.message}`));
