/** `promise`'s value, or `fallback` once `timeoutMs` passed first (the promise is left to settle on its own). */
export async function within<T>(promise: Promise<T>, timeoutMs: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((resolve) => { timer = setTimeout(() => resolve(fallback), timeoutMs); })]);
  } finally {
    clearTimeout(timer);
  }
}
