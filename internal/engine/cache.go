package engine

import (
	"container/list"
	"sync"
)

// cache keeps suspended executors by run ID, least recently used first out. An executor is
// taken out while a turn uses it, so no two turns share one.
type cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *executor, most recent at the front
	byID  map[string]*list.Element
}

func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), byID: map[string]*list.Element{}}
}

func (c *cache) take(runID string) *executor {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[runID]
	if !ok {
		return nil
	}
	delete(c.byID, runID)
	return c.order.Remove(el).(*executor)
}

func (c *cache) put(x *executor) {
	if c.max <= 0 {
		x.discard()
		return
	}
	c.mu.Lock()
	var evicted []*executor
	if el, ok := c.byID[x.runID]; ok {
		evicted = append(evicted, c.order.Remove(el).(*executor))
	}
	c.byID[x.runID] = c.order.PushFront(x)
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(*executor)
		delete(c.byID, old.runID)
		evicted = append(evicted, old)
	}
	c.mu.Unlock()
	for _, old := range evicted {
		old.discard()
	}
}

func (c *cache) drop(runID string) {
	if x := c.take(runID); x != nil {
		x.discard()
	}
}

func (c *cache) clear() {
	c.mu.Lock()
	var all []*executor
	for el := c.order.Front(); el != nil; el = el.Next() {
		all = append(all, el.Value.(*executor))
	}
	c.order.Init()
	clear(c.byID)
	c.mu.Unlock()
	for _, x := range all {
		x.discard()
	}
}
