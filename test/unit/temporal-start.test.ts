import { describe, expect, it, vi } from 'vitest';
import { startingAgainWhenSlow } from '../../scripts/servers';

const SLOW = new Error('ephemeral server at 127.0.0.1:7233 did not start within 5s. Make sure another download ...');

describe('starting the embedded Temporal dev server', () => {
  it('starts it again when the SDK gave up waiting 5 s for it, and returns the start that answered', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const start = vi.fn().mockRejectedValueOnce(SLOW).mockRejectedValueOnce(SLOW).mockResolvedValueOnce('running');
    await expect(startingAgainWhenSlow(start)).resolves.toBe('running');
    expect(start).toHaveBeenCalledTimes(3);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('gives up after three slow starts, and at once on any other failure', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const slow = vi.fn().mockRejectedValue(SLOW);
    await expect(startingAgainWhenSlow(slow)).rejects.toBe(SLOW);
    expect(slow).toHaveBeenCalledTimes(3);
    const broken = vi.fn().mockRejectedValue(new Error('executable does not exist'));
    await expect(startingAgainWhenSlow(broken)).rejects.toThrow('executable does not exist');
    expect(broken).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
