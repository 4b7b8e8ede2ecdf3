import { describe, expect, it } from 'vitest';
import { isPaidOnPlatform, isShippedOnPlatform, PLATFORM_ORDER_STATES } from '../../domain/platform-state.js';

describe('platform order states', () => {
  it('counts only full payment as paid', () => {
    expect(PLATFORM_ORDER_STATES.filter(isPaidOnPlatform)).toEqual(['awaiting_shipment', 'partly_shipped', 'shipped', 'completed']);
  });

  it('counts shipped and completed as shipped', () => {
    expect(PLATFORM_ORDER_STATES.filter(isShippedOnPlatform)).toEqual(['shipped', 'completed']);
  });
});
