/**
 * Headless Chromium for the browser tests, driven over the DevTools protocol with Deno's own WebSocket (no
 * npm automation client: nothing to download, nothing that depends on Node's internals).
 *
 * The browser draws WebGL2 in software (SwiftShader) and sends every network request to a dead proxy, so a
 * page that reaches outside itself fails visibly; the requests it tries are recorded either way.
 *
 * @module
 */

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the browser tests can run; when not, returns the line to print (and with `CI=true` throws, so
 * CI never skips them silently).
 */
export function chromiumMissing(): string | undefined {
  try {
    Deno.statSync(CHROMIUM);
    return undefined;
  } catch {
    const line = `skipped: ${CHROMIUM} is not installed (apt-get install chromium fonts-dejavu-core)`;
    if (Deno.env.get("CI") === "true") throw new Error(`CI=true but ${line}`);
    return line;
  }
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/** A page in the browser. */
export interface BrowserPage {
  /** Runs an expression in the page (awaiting a promise) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Waits until an expression is truthy in the page. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  /** A PNG screenshot of the viewport. */
  screenshot(clip?: { x: number; y: number; width: number; height: number }): Promise<Uint8Array>;
  /** URLs the page requested. */
  requests: string[];
  /** Console messages and page errors. */
  console: string[];
}

/** A running headless Chromium. */
export interface Browser {
  /** Opens a URL in a new page of the given viewport size and waits for its load event. */
  open(url: string, size?: { width: number; height: number }): Promise<BrowserPage>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with software WebGL2 (or, with `webgl: false`, none) and no network.
 *
 * @param options `webgl: false` starts it without WebGL, as a browser without WebGL2 support is.
 * @returns The browser.
 */
export async function launchChromium(options: { webgl?: boolean } = {}): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "spimfetch-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--disable-gpu-sandbox",
      "--proxy-server=127.0.0.1:9",
      "--proxy-bypass-list=<-loopback>",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--remote-debugging-port=0",
      ...(options.webgl === false ? ["--disable-webgl", "--disable-webgl2", "--disable-3d-apis"] : []),
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const endpoint = await devtoolsEndpoint(child.stderr);
  const socket = new WebSocket(endpoint);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Cannot connect to Chromium's DevTools at ${endpoint}`));
  });
  let next = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(method: string, params: Record<string, unknown>, session?: string) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(`${message.error.message} ${message.error.data ?? ""}`));
      else waiter?.resolve(message.result ?? {});
    } else {
      for (const listener of listeners) listener(message.method, message.params ?? {}, message.sessionId);
    }
  };
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params, sessionId }));
    });

  return {
    async open(url, size = { width: 1200, height: 900 }): Promise<BrowserPage> {
      const { targetId } = await send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true }) as {
        sessionId: string;
      };
      const requests: string[] = [];
      const consoleLines: string[] = [];
      let loaded: () => void = () => {};
      const load = new Promise<void>((resolve) => loaded = resolve);
      listeners.add((method, params, session) => {
        if (session !== sessionId) return;
        if (method === "Network.requestWillBeSent") {
          requests.push((params.request as { url: string }).url);
        } else if (method === "Runtime.consoleAPICalled") {
          const args = params.args as { value?: unknown; description?: string }[];
          consoleLines.push(`${params.type}: ${args.map((a) => a.value ?? a.description).join(" ")}`);
        } else if (method === "Runtime.exceptionThrown") {
          consoleLines.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
        } else if (method === "Page.loadEventFired") loaded();
      });
      await send("Network.enable", {}, sessionId);
      await send("Runtime.enable", {}, sessionId);
      await send("Page.enable", {}, sessionId);
      await send(
        "Emulation.setDeviceMetricsOverride",
        { ...size, deviceScaleFactor: 1, mobile: false },
        sessionId,
      );
      await send("Page.navigate", { url }, sessionId);
      await load;
      const evaluate = async <T>(expression: string): Promise<T> => {
        const result = await send("Runtime.evaluate", {
          expression,
          awaitPromise: true,
          returnByValue: true,
        }, sessionId) as {
          result: { value?: T };
          exceptionDetails?: { exception?: { description?: string } };
        };
        if (result.exceptionDetails) {
          throw new Error(`In the page: ${result.exceptionDetails.exception?.description ?? "an exception"}`);
        }
        return result.result.value as T;
      };
      return {
        evaluate,
        async waitFor(expression, timeoutMs = 30_000): Promise<void> {
          const until = Date.now() + timeoutMs;
          while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
            if (Date.now() > until) {
              throw new Error(
                `Timed out after ${timeoutMs} ms waiting for ${expression}\n${consoleLines.join("\n")}`,
              );
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        },
        async screenshot(clip): Promise<Uint8Array> {
          const { data } = await send("Page.captureScreenshot", {
            format: "png",
            ...(clip ? { clip: { ...clip, scale: 1 } } : {}),
          }, sessionId) as { data: string };
          return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        },
        requests,
        console: consoleLines,
      };
    },
    async close(): Promise<void> {
      try {
        await send("Browser.close");
      } catch { /* the browser may close the socket first */ }
      socket.close();
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

async function devtoolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = stderr.getReader();
  const deadline = setTimeout(() => reader.cancel(), 20_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const match = text.match(/DevTools listening on (ws:\/\/\S+)/);
      if (match) {
        // Keep draining stderr so that Chromium never blocks on a full pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return match[1];
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`Chromium did not start its DevTools endpoint:\n${text}`);
}
