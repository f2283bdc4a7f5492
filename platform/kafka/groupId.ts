// Consumer group ids, from one template. A deployed group keeps its committed offsets only
// while its id stays the same, so this template must never change shape: the unit test pins
// today's ids.

/** `<prefix>.flashsale.<group>`, or `flashsale.<group>` without a prefix; `group` names the consumer, e.g. `claims.decisions`. */
export function consumerGroupId(topicPrefix: string, group: string): string {
  return `${topicPrefix ? `${topicPrefix}.` : ''}flashsale.${group}`;
}
