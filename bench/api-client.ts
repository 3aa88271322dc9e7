/** The benchmarks' HTTP client of the product's API: every answer is checked against the status it should have. */
export type Answer = Record<string, unknown>;

export function apiClient(url: string, apiKey: string) {
  return async (
    path: string,
    expectedStatus: number,
    body?: unknown,
    method: string = body === undefined ? 'GET' : 'POST',
  ): Promise<Answer> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // A 204 has no body.
    const text = await res.text();
    const answer = (text === '' ? {} : JSON.parse(text)) as Answer;
    if (res.status !== expectedStatus) {
      throw new Error(`${path} answered ${res.status}, expected ${expectedStatus}: ${JSON.stringify(answer)}`);
    }
    return answer;
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

export function expectField(answer: Answer, field: string, expected: unknown): void {
  if (answer[field] !== expected) {
    throw new Error(`expected ${field} ${JSON.stringify(expected)} in ${JSON.stringify(answer)}`);
  }
}
