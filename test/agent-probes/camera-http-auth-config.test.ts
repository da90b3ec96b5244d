/** The per-camera `httpAuth` setting (issue 14, item 3): in the agent's local camera list and in the hub's assignment. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCameraList } from '../../edge-agent/config.ts';
import { checkAssignment } from '../../src/protocol/assignment.ts';
import { loopbackCamera } from './cam.ts';

describe('httpAuth', () => {
  it('local camera list: absent or digest → digest-only (field left out), basic kept, anything else refused', () => {
    const [a, b, c] = parseCameraList(
      [
        { code: 'a', host: '10.0.0.1' },
        { code: 'b', host: '10.0.0.2', httpAuth: 'digest' },
        { code: 'c', host: '10.0.0.3', httpAuth: 'basic' },
      ],
      'cameras',
    );
    expect(a).not.toHaveProperty('httpAuth');
    expect(b).not.toHaveProperty('httpAuth');
    expect(c?.httpAuth).toBe('basic');
    expect(() => parseCameraList([{ code: 'd', host: 'x', httpAuth: 'Basic' }], 'cameras')).toThrow(ConfigError);
    expect(() => parseCameraList([{ code: 'd', host: 'x', httpAuth: 'ntlm' }], 'cameras')).toThrow('httpAuth: expected digest or basic');
  });

  it('assignment: optional (an older hub sends none), digest or basic only', () => {
    const cam = loopbackCamera({});
    const assignment = (extra: object) => ({ agent: 'a1', version: '1', cameras: [{ ...cam, ...extra }] });
    expect(() => checkAssignment(assignment({}))).not.toThrow();
    expect(checkAssignment(assignment({ httpAuth: 'basic' })).cameras[0]?.httpAuth).toBe('basic');
    expect(() => checkAssignment(assignment({ httpAuth: 'plain' }))).toThrow();
  });
});
