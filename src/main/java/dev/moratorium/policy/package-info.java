/**
 * The domain core: policy state, the six events, the rules that turn (state, event or clock, now)
 * into a new state plus notifications, and the notification texts. No framework imports here.
 */
package dev.moratorium.policy;
